// Raspberry Pi throttling flags, read from the firmware's sysfs file (vcgencmd needs /dev/vchiq, which the sandbox hides).
import { readFile } from "node:fs/promises";
import type { DeviceHealth } from "../contracts/api.js";

export const THROTTLED_FILE = "/sys/devices/platform/soc/soc:firmware/get_throttled";

export type Throttling = NonNullable<DeviceHealth["throttling"]>;

/** Decodes get_throttled (hex text, e.g. "50005"): bits 0-3 now, bits 16-19 since boot. */
export function parseThrottled(text: string): Throttling | null {
  const raw = text.trim().replace(/^throttled=/, "");
  if (!/^(0x)?[0-9a-f]+$/i.test(raw)) return null;
  const bits = Number.parseInt(raw.replace(/^0x/i, ""), 16);
  return {
    raw: `0x${bits.toString(16)}`,
    underVoltage: (bits & 0x1) !== 0,
    frequencyCapped: (bits & 0x2) !== 0,
    throttled: (bits & 0x4) !== 0,
    softTemperatureLimit: (bits & 0x8) !== 0,
    occurred: (bits & 0xf000f) !== 0,
  };
}

/** null where the file does not exist (not a Raspberry Pi, or an old kernel). */
export async function readThrottling(file = THROTTLED_FILE): Promise<Throttling | null> {
  try {
    return parseThrottled(await readFile(file, "utf8"));
  } catch {
    return null;
  }
}
