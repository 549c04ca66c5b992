// The kiosk's icons as inline SVG (bundled in the app: nothing is fetched).

const common = {
  viewBox: "0 0 24 24",
  fill: "none",
  stroke: "currentColor",
  "stroke-width": 2.6,
  "stroke-linecap": "round",
  "stroke-linejoin": "round",
  "aria-hidden": "true",
  class: "icon",
} as const;

export const TickIcon = () => (
  <svg {...common}>
    <path d="M4 12.5l5 5L20 6.5" />
  </svg>
);

export const CrossIcon = () => (
  <svg {...common}>
    <path d="M6 6l12 12M18 6L6 18" />
  </svg>
);

/** Three layers of squares: "inside the network". */
export const LayersIcon = () => (
  <svg {...common} stroke-width={2}>
    <rect x="2.5" y="8" width="5" height="8" rx="1" />
    <rect x="9.5" y="5" width="5" height="14" rx="1" />
    <rect x="16.5" y="9.5" width="5" height="5" rx="1" />
  </svg>
);

export const BackspaceIcon = () => (
  <svg {...common} stroke-width={2}>
    <path d="M9 5h11v14H9l-6-7z" />
    <path d="M12.5 9.5l5 5M17.5 9.5l-5 5" />
  </svg>
);
