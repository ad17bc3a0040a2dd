// Help text that names what a registry holds (kernel variants, tiles) wraps it to the help's width
// here, so a list computed from the registry reads like the hand-written lines around it.

/** `text` broken at spaces into lines of at most `width` characters, each after `indent`. */
export function wrapHelp(text: string, indent = '  ', width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}
