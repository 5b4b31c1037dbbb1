// The progress meter on a terminal: one line per file, like scp's (name, percent,
// bytes, rate, ETA), drawn with cli-progress on stderr. The caller creates it only
// when stderr is a terminal and -q was not given, so pipes and logs stay clean.
import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import type { CopyProgress } from './engine.js';

export function terminalProgress(stream: Writable, now: () => number): CopyProgress {
  let bar: cliProgress.SingleBar | undefined;
  let started = 0;
  let value = 0;
  let total = 0;
  const payload = () => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = value / seconds;
    return {
      bytes: humanBytes(value),
      rate: `${humanBytes(rate)}/s`,
      eta: value >= total ? '' : rate > 0 ? `ETA ${clock((total - value) / rate)}` : 'ETA --:--',
    };
  };
  return {
    file(name, size) {
      started = now();
      value = 0;
      total = size;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${name.replace(/[{}]/g, '_')} |{bar}| {percentage}% {bytes} {rate} {eta}`,
          barsize: 20,
          hideCursor: false,
          clearOnComplete: false,
          linewrap: false,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      // cli-progress divides by total: an empty file is shown as 1 of 1 at 100%.
      bar.start(Math.max(size, 1), size === 0 ? 1 : 0, payload());
    },
    bytes(n) {
      value += n;
      bar?.update(value, payload());
    },
    done() {
      if (!bar) return;
      bar.update(Math.max(total, 1), payload());
      bar.stop();
      bar = undefined;
    },
  };
}

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const hours = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}
