// Public surface of the runtime for kiosk and training: the contracts and the shared preprocessing.
export * from "./contracts/api.js";
export * from "./contracts/errors.js";
export * from "./contracts/manifest.js";
