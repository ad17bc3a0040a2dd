// Page-wide notices (banners): worker crashes, load failures, anything a user must see.
export interface Notice {
  id: number;
  kind: 'error' | 'warning' | 'info';
  text: string;
}

export const notices = $state<{ list: Notice[] }>({ list: [] });
let nextId = 1;

export function notify(kind: Notice['kind'], text: string): number {
  const id = nextId++;
  notices.list.push({ id, kind, text });
  return id;
}

export function dismiss(id: number): void {
  notices.list = notices.list.filter((n) => n.id !== id);
}
