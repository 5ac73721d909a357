/**
 * The stack file's entries by name and by the template (or group) they use, built once per Stack:
 * looking an entry up for every service by scanning the list made planning quadratic (1,000
 * services: ~250 ms of `plan`).
 */
import { type Stack, templateKey } from "../core/index.js";

type Entry = Stack["services"][number];

interface EntryIndex {
  byName: Map<string, Entry>;
  byTemplate: Map<string, Entry[]>;
}

const indexes = new WeakMap<Stack, EntryIndex>();

function indexOf(stack: Stack): EntryIndex {
  let index = indexes.get(stack);
  if (index) return index;
  index = { byName: new Map(), byTemplate: new Map() };
  for (const e of stack.services) {
    if (!index.byName.has(e.name)) index.byName.set(e.name, e);
    const key = templateKey(e);
    if (key === undefined) continue; // `template: none`: a custom service, in no template's list
    const same = index.byTemplate.get(key);
    if (same) same.push(e);
    else index.byTemplate.set(key, [e]);
  }
  indexes.set(stack, index);
  return index;
}

/** The stack file's entry of this name. */
export function stackEntry(stack: Stack, name: string): Entry | undefined {
  return indexOf(stack).byName.get(name);
}

/** The entries that use this template or group (by `template:`, or by being named so). */
export function entriesUsing(stack: Stack, template: string): readonly Entry[] {
  return indexOf(stack).byTemplate.get(template) ?? [];
}
