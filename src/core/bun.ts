/** Bun, which says it is a recent Node: where its loader, emitters or inspector differ, loopguard takes another path. */
export const onBun: boolean = typeof process.versions.bun === 'string';
