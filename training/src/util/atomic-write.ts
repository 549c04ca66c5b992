// Training writes packages, reports and caches with the runtime's one atomic writer.
export { writeFileAtomic } from "@digit-kiosk/runtime/util/atomic-write";
