import { Writable } from 'node:stream';

/** A stream a command writes its output to (stdout or stderr), and the text written so far. */
export function textSink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    text: () => text,
  };
}
