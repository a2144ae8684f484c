// How the loader's messages quote a text a person wrote: with JSON's quotes and escapes, and
// cut at QUOTE_MAX characters, so that a megabyte of text in a manifest makes no megabyte of
// message. Called by loader/ip6.ts and loader/manifest/values.ts (show).

export const QUOTE_MAX = 80;

export function quote(text: string): string {
  return JSON.stringify(text.length <= QUOTE_MAX ? text : `${text.slice(0, QUOTE_MAX - 3)}...`);
}
