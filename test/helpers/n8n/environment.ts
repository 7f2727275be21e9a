/**
 * Settings n8n-core reads when it loads. Import this module before any
 * n8n-core import, so n8n keeps its settings file in a temporary folder
 * instead of the user's home.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const userFolder = mkdtempSync(join(tmpdir(), 'waq-n8n-'));
process.env.N8N_USER_FOLDER = userFolder;
// A fixed key keeps n8n-core from generating one and printing a notice.
process.env.N8N_ENCRYPTION_KEY ??= 'test-only-encryption-key';
// n8n-core's error reporter prints node errors; tests assert on them instead.
process.env.N8N_LOG_LEVEL ??= 'silent';
process.on('exit', () => rmSync(userFolder, { recursive: true, force: true }));
