import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from 'discord.js';

interface Motd {
  readonly text: string;
  readonly lines: number;
}

/** `!motd`: answers with the message of the day (../../motd.txt, beside the other examples). */
export async function onMessageCreate(message: Message): Promise<void> {
  if (message.author.bot || message.content !== '!motd') return;
  const text: string = readFileSync(join(__dirname, '../../../motd.txt'), 'utf8'); // reported: use fs/promises
  const motd: Motd = { text: text.trim(), lines: text.split('\n').length };
  await message.reply(motd.text);
}
