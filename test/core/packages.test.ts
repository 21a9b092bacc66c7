import { sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inNodeModules, isFileRequest, packageFilePath, packageOf, packageOfFile } from '../../src/core/packages';

const inModules = (...parts: string[]): string => ['', 'app', 'node_modules', ...parts].join(sep);

describe('where a file is in node_modules', () => {
  it('names a package file by its path after the last node_modules folder', () => {
    expect(packageFilePath(inModules('discord.js', 'src', 'client', 'Client.js'))).toBe('discord.js/src/client/Client.js');
    expect(packageFilePath(inModules('a', 'node_modules', '@scope', 'b', 'index.js'))).toBe('@scope/b/index.js');
    expect(packageFilePath(['', 'app', 'src', 'bot.js'].join(sep))).toBeUndefined();
  });

  it('names the package, scoped or not', () => {
    expect(packageOfFile('discord.js/src/x.js')).toBe('discord.js');
    expect(packageOfFile('@discordjs/ws/dist/index.js')).toBe('@discordjs/ws');
    // require() ids of packages have the same shape: asked of each one the app makes
    expect(packageOfFile('@discordjs/core/http-only')).toBe('@discordjs/core');
    expect(packageOfFile('@discordjs/core')).toBe('@discordjs/core');
    expect(packageOfFile('bcryptjs')).toBe('bcryptjs');
    expect(packageOfFile('node:fs')).toBe('node:fs');
    expect(packageOfFile('@scope')).toBe('@scope');
    expect(packageOf(inModules('@discordjs', 'ws', 'dist', 'index.js'))).toBe('@discordjs/ws');
    expect(inNodeModules(inModules('x', 'y.js'))).toBe(true);
  });
});

describe('isFileRequest', () => {
  it.each(['./x', '../x', '/abs/x.js', '.', '..'])('%s names a file', (id) => {
    expect(isFileRequest(id)).toBe(true);
  });

  it.each(['discord.js', '@discordjs/ws', 'node:fs', 'fs', 'zlib', ''])('%s does not', (id) => {
    expect(isFileRequest(id)).toBe(false);
  });
});
