// Reads the per-epoch training history from a manifest. The contract is `training.history`:
// [{epoch, loss, accuracy, valLoss?, valAccuracy?}], accuracy as a fraction 0..1. Manifests written by the
// train CLI before that field existed carry `metrics.validation`: [{epoch, trainLoss, trainAccuracy,
// <validation set name>: accuracy, ...}], which is read as well.

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** accuracy per named validation set, e.g. {"pendigits-val": 0.97} */
  valAccuracies?: Record<string, number>;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const asRecord = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function fromHistory(raw: unknown): EpochRecord[] {
  if (!Array.isArray(raw)) throw new Error("manifest training.history must be an array");
  return raw.map((entry: unknown, i): EpochRecord => {
    const e = asRecord(entry);
    if (!finite(e.epoch) || !finite(e.loss) || !finite(e.accuracy)) throw new Error(`manifest training.history[${i}] needs numeric epoch, loss and accuracy`);
    const record: EpochRecord = { epoch: e.epoch, loss: e.loss, accuracy: e.accuracy };
    if (finite(e.valLoss)) record.valLoss = e.valLoss;
    if (finite(e.valAccuracy)) record.valAccuracy = e.valAccuracy;
    return record;
  });
}

function fromValidationMetrics(raw: unknown): EpochRecord[] {
  if (!Array.isArray(raw)) throw new Error("manifest metrics.validation must be an array");
  return raw.map((entry: unknown, i): EpochRecord => {
    const e = asRecord(entry);
    if (!finite(e.epoch) || !finite(e.trainLoss) || !finite(e.trainAccuracy)) throw new Error(`manifest metrics.validation[${i}] needs numeric epoch, trainLoss and trainAccuracy`);
    const valAccuracies: Record<string, number> = {};
    for (const [k, v] of Object.entries(e)) if (k !== "epoch" && k !== "trainLoss" && k !== "trainAccuracy" && finite(v)) valAccuracies[k] = v;
    return { epoch: e.epoch, loss: e.trainLoss, accuracy: e.trainAccuracy, valAccuracies };
  });
}

/** The history, or null when the manifest has none; throws when it is there but malformed. */
export function readHistory(training: Record<string, unknown>, metrics: Record<string, unknown> = {}): EpochRecord[] | null {
  if (training.history !== undefined && training.history !== null) return fromHistory(training.history);
  if (metrics.validation !== undefined && metrics.validation !== null) return fromValidationMetrics(metrics.validation);
  return null;
}
