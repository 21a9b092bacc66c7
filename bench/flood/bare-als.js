'use strict';
// Reference point of the benchmarks: what a bare AsyncLocalStorage.run around each client event
// costs, without loopguard (FLOOD_BARE_ALS=1).
function patchBareAls(Client) {
  const als = new (require('node:async_hooks').AsyncLocalStorage)();
  const emit = Client.prototype.emit;
  Client.prototype.emit = function (event, ...args) {
    return als.run({ event }, () => emit.call(this, event, ...args));
  };
}

module.exports = { patchBareAls };
