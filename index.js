'use strict';

// The package's library entry for code outside n8n: the built shared API.
module.exports = require('./dist/shared/index.js');
