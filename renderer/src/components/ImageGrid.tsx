import type { ImageResult } from '../../../native/contract';

/** One cell of a batch: a finished image, or the latest preview of one still denoising (null before its first). */
export interface GridCell {
  url: string | null;
  seed: number | null;
  width: number;
  height: number;
  alt: string;
}

interface Props {
  cells: GridCell[];
  /** The image whose parameters the details panel shows; null while the batch runs. */
  focused: number | null;
  onFocus: ((index: number) => void) | null;
  /** The class that enlarges small images crisply or smoothly. */
  scalingClass: (width: number, height: number) => string;
  ended: boolean;
  testId: string;
}

/** A batch on the stage: two columns, each image as large as the frame allows; a finished one is picked by a click. */
export function ImageGrid({ cells, focused, onFocus, scalingClass, ended, testId }: Props) {
  return (
    <div className="image-grid" data-testid={testId} role="list" aria-label={`${cells.length} images`}>
      {cells.map((cell, index) => {
        const image = cell.url ? <img className={`image-grid-image${scalingClass(cell.width, cell.height)}${ended ? ' image-canvas-ended' : ''}`} src={cell.url} alt={cell.alt} /> : <span className="image-grid-pending">Waiting…</span>;
        const label = cell.seed === null ? null : <span className="image-grid-seed">seed {cell.seed}</span>;
        return onFocus ? (
          <button key={index} type="button" role="listitem" className="image-grid-cell" data-testid="image-grid-cell" aria-current={focused === index ? 'true' : undefined} title="Show this image's parameters" onClick={() => onFocus(index)}>
            {image}
            {label}
          </button>
        ) : (
          <div key={index} role="listitem" className="image-grid-cell" data-testid="image-grid-cell">
            {image}
            {label}
          </div>
        );
      })}
    </div>
  );
}

/** The cells of a finished batch. */
export function resultCells(images: readonly ImageResult[]): GridCell[] {
  return images.map((image) => ({ url: `data:image/png;base64,${image.png}`, seed: image.parameters.seed, width: image.width, height: image.height, alt: image.parameters.prompt || 'Generated image' }));
}
