import { describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema } from '../../../native/contract';
import { RestoreChannel, type Restore } from './restore';

describe('RestoreChannel', () => {
  const story: Restore = { kind: 'text', request: TextGenerationRequestSchema.parse({ prompt: 'A fox' }), prompt: 'A fox' };
  const image: Restore = { kind: 'image', parameters: { prompt: 'a castle', steps: 20 }, source: 'a1111' };

  it('hands each restore to the view of its kind, once', () => {
    const channel = new RestoreChannel();
    const texts: Restore[] = [];
    const images: Restore[] = [];
    channel.subscribe('text', (restore) => texts.push(restore));
    channel.subscribe('image', (restore) => images.push(restore));
    channel.publish(story);
    channel.publish(image);
    expect(texts).toEqual([story]);
    expect(images).toEqual([image]);
  });

  it('an old listener cannot unsubscribe its successor', () => {
    const channel = new RestoreChannel();
    const seen: string[] = [];
    const unsubscribeFirst = channel.subscribe('text', () => seen.push('first'));
    channel.subscribe('text', () => seen.push('second'));
    unsubscribeFirst();
    channel.publish(story);
    expect(seen).toEqual(['second']);
  });

  it('keeps a restore that arrives before its view is ready, and hands the latest one over when the view subscribes', () => {
    const channel = new RestoreChannel();
    const later: Restore = { ...image, parameters: { prompt: 'a tower' } } as Restore;
    channel.publish(image);
    channel.publish(later);
    const images: Restore[] = [];
    channel.subscribe('image', (restore) => images.push(restore));
    expect(images).toEqual([later]);
    const again: Restore[] = [];
    channel.subscribe('image', (restore) => again.push(restore));
    expect(again).toEqual([]);
  });
});
