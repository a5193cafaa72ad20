// A small live chart on a canvas: the training loss (left axis) and the training and test
// accuracy (right axis, 0 to 1) against the epoch, redrawn whenever a point is added.

export interface Series {
  label: string;
  color: string;
  /** Points (epoch, value); the epoch may be fractional. */
  points: [number, number][];
  /** Plotted against the right axis (0 to 1) instead of the left. */
  right?: boolean;
}

/** Draws the series on `canvas` with epochs 0..`epochs` along x. */
export function drawChart(canvas: HTMLCanvasElement, series: readonly Series[], epochs: number): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  const pad = { l: 48, r: 48, t: 30, b: 32 };
  const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '12px system-ui, sans-serif';
  const losses = series.filter((s) => !s.right).flatMap((s) => s.points.map((p) => p[1]));
  const lossMax = Math.max(0.5, ...losses);
  const x = (e: number) => pad.l + (pw * e) / epochs;
  const yLeft = (v: number) => pad.t + ph * (1 - v / lossMax);
  const yRight = (v: number) => pad.t + ph * (1 - v);
  ctx.strokeStyle = '#ccc';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + (ph * i) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(pad.l + pw, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.fillText(((lossMax * (4 - i)) / 4).toFixed(2), pad.l - 6, y + 4);
    ctx.textAlign = 'left';
    ctx.fillText((1 - i / 4).toFixed(2), pad.l + pw + 6, y + 4);
  }
  ctx.textAlign = 'center';
  for (let e = 0; e <= epochs; e++) ctx.fillText(String(e), x(e), H - pad.b + 16);
  ctx.fillText('epoch', pad.l + pw / 2, H - 2);
  let legendX = pad.l;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([e, v], j) => {
      const y = s.right ? yRight(v) : yLeft(v);
      if (j === 0) ctx.moveTo(x(e), y);
      else ctx.lineTo(x(e), y);
    });
    ctx.stroke();
    ctx.fillStyle = s.color;
    ctx.textAlign = 'left';
    const legend = `${s.label}${s.points.length ? ` ${s.points.at(-1)![1].toFixed(3)}` : ''}`;
    ctx.fillText(legend, legendX, 14);
    legendX += ctx.measureText(legend).width + 18;
  }
}
