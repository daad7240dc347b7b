import { useState } from 'react';
import { compareModeLabel, type ComparePane } from '../../../../native/contract';

function PaneSelect({ side, panes, value, onChange }: { side: 'Left' | 'Right'; panes: readonly ComparePane[]; value: number; onChange: (index: number) => void }) {
  const id = `wipe-${side.toLowerCase()}`;
  return (
    <>
      <label className="field-label" htmlFor={id}>
        {side}
      </label>
      <select id={id} value={value} onChange={(event) => onChange(Number(event.target.value))} data-testid={id}>
        {panes.map((pane, index) => (
          <option key={pane.index} value={index}>
            {pane.index + 1}: {compareModeLabel(pane.mode)}
          </option>
        ))}
      </select>
    </>
  );
}

/** Two panes' images on top of each other at the same zoom, with a slider that wipes from one to the other. */
export function ImageWipe({ panes, zoom }: { panes: readonly ComparePane[]; zoom: number }) {
  const withImages = panes.filter((pane) => pane.image);
  const [left, setLeft] = useState(0);
  const [right, setRight] = useState(withImages.length - 1);
  const [position, setPosition] = useState(50);
  const a = withImages[Math.min(left, withImages.length - 1)];
  const b = withImages[Math.min(right, withImages.length - 1)];
  if (!a?.image || !b?.image || withImages.length < 2) return null;
  const width = Math.max(a.image.width, b.image.width) * zoom;
  const height = Math.max(a.image.height, b.image.height) * zoom;
  return (
    <section className="image-wipe" aria-label="Wipe between two panes" data-testid="image-wipe">
      <div className="wipe-controls">
        <PaneSelect side="Left" panes={withImages} value={left} onChange={setLeft} />
        <PaneSelect side="Right" panes={withImages} value={right} onChange={setRight} />
      </div>
      <div className="wipe-stage" style={{ width, height }}>
        <img src={`data:image/png;base64,${a.image.png}`} alt={`Left: pane ${a.index + 1}`} className="pixelated" width={width} height={height} />
        <img src={`data:image/png;base64,${b.image.png}`} alt={`Right: pane ${b.index + 1}`} className="pixelated wipe-top" width={width} height={height} style={{ clipPath: `inset(0 0 0 ${position}%)` }} />
        <span className="wipe-line" style={{ left: `${position}%` }} aria-hidden="true" />
      </div>
      <label className="visually-hidden" htmlFor="wipe-position">
        Wipe position
      </label>
      <input id="wipe-position" type="range" min={0} max={100} value={position} onChange={(event) => setPosition(Number(event.target.value))} style={{ width }} data-testid="wipe-slider" />
    </section>
  );
}
