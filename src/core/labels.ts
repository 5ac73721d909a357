/** Label keys on every resource DELoc creates. The engine reads them back as the source of truth. */
export const LABEL_STACK = "dev.deloc.stack";
export const LABEL_SERVICE = "dev.deloc.service";
export const LABEL_HASH = "dev.deloc.hash";
export const LABEL_VERSION = "dev.deloc.version";
export const LABEL_REPLICA = "dev.deloc.replica";
export const LABEL_ONE_SHOT = "dev.deloc.one-shot";
/** On the short-lived containers DELoc uses to archive and restore volumes. */
export const LABEL_HELPER = "dev.deloc.helper";
