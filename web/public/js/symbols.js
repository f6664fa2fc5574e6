// symbols.js: how each programme and status is drawn, shared by the map
// layers, the legend and the list, so that the legend always matches.
import { gradeColor } from './condition.js';

export const PROGRAMME_KINDS = ['road_repair', 'sewer_separation', 'parking_lot', 'manhole', 'capital_project'];

// Status colours: the case flow from warm (just reported) to green (closed);
// dark enough to read as text on white (WCAG AA) and apart for colour-blind eyes.
export const STATUS_COLORS = {
  reported: '#c92a2a',
  filed: '#d9480f',
  dispatched: '#7048e8',
  in_progress: '#1864ab',
  done: '#0b7285',
  closed: '#2b8a3e',
  rejected: '#495057',
  cancelled: '#6c757d',
  none: '#5c677d',
};

// An asset with no case (yet, on an "as of" date) is drawn pale grey and
// dashed: there is nothing to say about it, so it steps back.
export const NO_CASE = { color: '#868e96', fill: '#ced4da' };


export const statusColor = (s) => STATUS_COLORS[s] || STATUS_COLORS.none;

// The map's colours: by the status of the cases (the default) or by
// condition (docs/condition.md: grade A green … D red, ungraded grey).

let colourMode = 'status';
export function setColourMode(m) { colourMode = m === 'condition' ? 'condition' : 'status'; }
export const getColourMode = () => colourMode;

/** featureColor is the colour of a feature in the current mode. */
export const featureColor = (p) => (colourMode === 'condition' ? gradeColor(p.condition_grade) : statusColor(p.status));

// Parking bays are coloured by type (they rarely have a task of their own).
export const SPACE_COLORS = {
  standard: '#5c677d',
  large: '#a61e4d',
  accessible: '#1864ab',
  ev_charging: '#2b8a3e',
};

/** pathStyle is the Leaflet style of a programme feature. */
export function pathStyle(kind, props) {
  const color = props.legend ? statusColor(props.status) : featureColor(props);
  if (colourMode === 'condition' && !props.legend && kind !== 'parking_space') {
    // By condition: the graded drawn strong in their grade's colour, the rest stepping back.
    const line = kind === 'road_repair' || props.corridor;
    return props.condition_grade
      ? { color, weight: line ? 6 : 2.5, opacity: 0.95, lineCap: 'round', fillColor: color, fillOpacity: 0.35 }
      : { color: NO_CASE.color, weight: line ? 3 : 1, opacity: 0.6, dashArray: '4 4', fillColor: NO_CASE.fill, fillOpacity: 0.1 };
  }
  if (!props.status && kind !== 'parking_space' && !props.legend) {
    const line = kind === 'road_repair' || props.corridor;
    return { color: NO_CASE.color, weight: line ? 4 : 1.5, opacity: 0.8, dashArray: '4 4', fillColor: NO_CASE.fill, fillOpacity: 0.2 };
  }
  switch (kind) {
    case 'road_repair':
      return { color, weight: 5, opacity: 0.9, lineCap: 'round' };
    case 'sewer_separation':
      return props.corridor
        ? { color, weight: 7, opacity: 0.85, dashArray: '12 6' }
        : { color, weight: 2, fillColor: color, fillOpacity: 0.35 };
    case 'parking_lot':
      return { color, weight: 2.5, dashArray: '5 4', fillColor: color, fillOpacity: 0.25 };
    case 'capital_project':
      return { color, weight: 3, dashArray: '10 4 2 4', fillColor: color, fillOpacity: 0.15 };
    case 'parking_space':
      return {
        color: props.status ? statusColor(props.status) : '#343a40',
        weight: props.status ? 2 : 0.6,
        fillColor: SPACE_COLORS[props.space_type] || SPACE_COLORS.standard,
        fillOpacity: 0.55,
      };
    default:
      return { color, weight: 2 };
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * swatch draws a small legend symbol: the programme's shape in a colour.
 * variant 'corridor' is the dashed corridor line of the sewer programme.
 */
export function swatch(kind, color, variant) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 16');
  svg.setAttribute('width', '24');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'swatch');
  const el = (tag, attrs) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    svg.appendChild(e);
    return e;
  };
  const s = pathStyle(kind, { status: null, corridor: variant === 'corridor', legend: true });
  const stroke = { stroke: color, 'stroke-width': Math.min(s.weight || 2, 4), fill: 'none' };
  if (s.dashArray) stroke['stroke-dasharray'] = kind === 'sewer_separation' ? '6 3' : '3 2';
  if (kind === 'road_repair' || variant === 'corridor') {
    el('line', { x1: 2, y1: 12, x2: 22, y2: 4, ...stroke, 'stroke-linecap': 'round' });
  } else if (kind === 'manhole') {
    el('circle', { cx: 12, cy: 8, r: 5, fill: color, stroke: '#fff', 'stroke-width': 1.5 });
  } else if (kind === 'status') {
    el('rect', { x: 4, y: 2, width: 16, height: 12, rx: 3, fill: color });
  } else {
    el('rect', { x: 3, y: 2, width: 18, height: 12, ...stroke, fill: color, 'fill-opacity': s.fillOpacity ?? 0.3 });
  }
  return svg;
}
