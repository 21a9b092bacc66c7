'use strict';
// An anchor of the flood benchmark (a preload): blocked-at, which records a stack at every async
// resource's creation and reports callbacks that ran longer than its threshold (20 ms by default)
// with the stack where their resource was made.
const blockedAt = require('blocked-at');

let blocks = 0;
blockedAt(() => { blocks++; });

const previous = globalThis.__floodStats;
globalThis.__floodStats = () => ({ ...previous?.(), blocks });
