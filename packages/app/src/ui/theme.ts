// One palette and spacing scale for every screen.
export const colors = {
  background: '#f6f7f9',
  surface: '#ffffff',
  text: '#14181f',
  muted: '#667085',
  border: '#e3e6ea',
  accent: '#1f6f5c',
  accentText: '#ffffff',
  outgoing: '#d8f1e8',
  incoming: '#ffffff',
  danger: '#b42318',
  dangerSurface: '#fef3f2',
  warningSurface: '#fffaeb',
  read: '#1570ef',
} as const;

export const space = { xs: 4, s: 8, m: 12, l: 16, xl: 24 } as const;
export const radius = { s: 8, m: 14, round: 999 } as const;

/** A white card on the grey background: the settings and contact screens' sections. */
export const card = {
  backgroundColor: colors.surface,
  borderRadius: radius.s,
  borderWidth: 1,
  borderColor: colors.border,
  padding: space.m,
  gap: space.s,
} as const;
