import { useState } from 'react';
import { CopyIcon } from './icons';

interface Props {
  /** What goes on the clipboard. */
  text: string;
  label: string;
  title: string;
  testId: string;
  className?: string;
  disabled?: boolean;
}

/** Copies text to the clipboard and says for a moment whether it worked. */
export function CopyButton({ text, label, title, testId, className = 'button', disabled = false }: Props) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied('idle'), 1500);
  }
  return (
    <button type="button" className={className} data-testid={testId} title={title} disabled={disabled} onClick={() => void copy()}>
      <CopyIcon />
      {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed' : label}
    </button>
  );
}
