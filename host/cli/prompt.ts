/** Questions at the terminal: yes/no confirmations and passwords (not echoed). Never without a TTY. */
import { createInterface } from 'node:readline';

export function hasTty(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export async function confirmAtTty(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Read a password without echoing it (raw mode: each key is handled here, nothing is printed). */
export async function passwordAtTty(question: string): Promise<string> {
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  let password = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            resolve(password);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(new Error('interrupted'));
            return;
          }
          password = ch === '\u007f' ? password.slice(0, -1) : password + ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}
