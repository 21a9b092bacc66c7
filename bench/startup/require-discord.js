'use strict';
// bench:instructions' library load: discord.js and everything it requires, nothing run.
require('discord.js');
