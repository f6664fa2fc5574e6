// queue-map.js: the console's queue drawn on its map. Each task is a pin at
// its place (the reported point, else a point on its asset): coloured by
// status, larger and marked "!" when urgent, ringed red when overdue, dashed
// when nobody is assigned yet. Pins gather into clusters coloured by their
// worst member. The list and the map select together: a pin opens its task
// and marks its row; a row marks its pin. A legend on the map counts what
// needs a look at a glance (overdue, urgent, unassigned).
import { t, num } from './i18n.js';
import { el } from './dom.js';
import { statusColor } from './symbols.js';

/* global L */

// Work still to assign: filed (立案) or sent back, with nobody on it.
const ASSIGNABLE = new Set(['reported', 'filed']);

/** unassigned says whether a task waits for a crew or unit. */
export const unassigned = (k) => ASSIGNABLE.has(k.status) && !k.assignee;

function pinIcon(k, selected) {
  const dot = el('span', { class: 'q-dot', 'aria-hidden': 'true', text: k.priority === 'urgent' ? '!' : '' });
  dot.style.background = statusColor(k.status);
  const cls = ['q-pin', `pr-${k.priority}`];
  if (k.overdue) cls.push('late');
  if (unassigned(k)) cls.push('unassigned');
  if (selected) cls.push('selected');
  const size = k.priority === 'urgent' ? 26 : k.priority === 'high' ? 22 : 18;
  return L.divIcon({ className: cls.join(' '), html: dot, iconSize: L.point(size, size) });
}

function clusterIcon(cluster) {
  const members = cluster.getAllChildMarkers().map((m) => m.task);
  const n = members.length;
  const late = members.filter((k) => k.overdue).length;
  const urgent = members.some((k) => k.priority === 'urgent');
  const size = n < 10 ? 30 : n < 100 ? 36 : 44;
  const count = el('span', { class: 'cluster-n', 'data-testid': 'queue-cluster-count', text: String(n) });
  const box = el('span', {}, count, el('span', { class: 'sr-only', text: t('queueMap.cluster', { n, late }) }));
  return L.divIcon({
    className: 'q-cluster' + (late ? ' has-late' : urgent ? ' has-urgent' : ''),
    iconSize: L.point(size, size),
    html: box,
  });
}

export class QueueMap {
  /**
   * @param {L.Map} map
   * @param {{proj: {toLatLng: Function}, onSelect: (id: number, marker: L.Marker) => void}} opts
   */
  constructor(map, { proj, onSelect }) {
    this.map = map;
    this.proj = proj;
    this.onSelect = onSelect;
    this.markers = new Map(); // task id -> marker
    this.selected = null;
    this.group = L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 40,
      spiderfyOnMaxZoom: true,
      disableClusteringAtZoom: 17,
      iconCreateFunction: clusterIcon,
    }).addTo(map);
    this.group.on('animationend spiderfied unspiderfied', () => this.mark());
    map.on('zoomend moveend', () => this.mark());
    this.legend = L.control({ position: 'bottomleft' });
    this.legend.onAdd = () => {
      this.legendBox = el('div', { class: 'legend queue-legend', 'data-testid': 'queue-legend' });
      L.DomEvent.disableClickPropagation(this.legendBox);
      return this.legendBox;
    };
    this.legend.addTo(map);
  }

  /** set draws a queue's tasks; what has no place is counted in the legend. */
  set(tasks, queueName) {
    this.group.clearLayers();
    this.lifted?.remove();
    this.lifted = null;
    this.markers.clear();
    const placed = tasks.filter((k) => Array.isArray(k.place));
    for (const k of placed) {
      const m = L.marker(this.proj.toLatLng(k.place), {
        icon: pinIcon(k, k.id === this.selected),
        title: `${k.ref} · ${k.title}`,
        alt: `${k.ref} · ${k.title}`,
        keyboard: true,
        pmIgnore: true,
        riseOnHover: true,
      });
      m.task = k;
      m.on('click', () => this.onSelect(k.id, m));
      this.markers.set(k.id, m);
    }
    this.group.addLayers([...this.markers.values()].filter((m) => m.task.id !== this.selected));
    this.lift(this.markers.get(this.selected));
    this.tasks = tasks;
    this.renderLegend(tasks, placed.length, queueName);
    this.mark();
    this.map.getContainer().dataset.queuePins = String(placed.length);
  }

  /** lift takes the selected pin out of its cluster, so it shows at any zoom. */
  lift(m) {
    if (!m) return;
    this.group.removeLayer(m);
    m.addTo(this.map);
    this.lifted = m;
  }

  /** drop puts a lifted pin back among the others. */
  drop() {
    const m = this.lifted;
    if (!m) return;
    this.lifted = null;
    m.remove();
    if (this.markers.get(m.task.id) === m) this.group.addLayer(m);
  }

  renderLegend(tasks, placed, queueName) {
    const late = tasks.filter((k) => k.overdue).length;
    const urgent = tasks.filter((k) => k.priority === 'urgent').length;
    const free = tasks.filter(unassigned).length;
    const row = (cls, key, n, testid) => el('li', { 'data-testid': testid, 'data-n': String(n) },
      el('span', { class: `key ${cls}`, 'aria-hidden': 'true' }), el('span', { text: t(key, { n: num(n) }) }));
    const fit = el('button', { type: 'button', class: 'btn small', 'data-testid': 'queue-fit', text: t('queueMap.fit') });
    fit.addEventListener('click', () => this.fit());
    fit.disabled = !placed;
    const parts = [el('p', { class: 'legend-h', text: t('queueMap.heading', { queue: queueName, n: num(placed) }) }),
      el('ul', {},
        row('late', 'queueMap.late', late, 'queue-legend-late'),
        row('urgent', 'queueMap.urgent', urgent, 'queue-legend-urgent'),
        row('unassigned', 'queueMap.unassigned', free, 'queue-legend-unassigned'))];
    if (placed < tasks.length) parts.push(el('p', { class: 'muted', 'data-testid': 'queue-legend-unplaced', text: t('queueMap.unplaced', { n: num(tasks.length - placed) }) }));
    parts.push(fit);
    this.legendBox.replaceChildren(...parts);
  }

  /** fit shows every pin of the queue. */
  fit() {
    const b = this.group.getBounds();
    if (this.lifted) b.extend(this.lifted.getLatLng());
    if (b.isValid()) this.map.fitBounds(b, { padding: [40, 40], maxZoom: 16 });
  }

  /** select marks a task's pin (none for null), lifted out of any cluster. */
  select(id) {
    const prev = this.markers.get(this.selected);
    this.selected = id;
    this.drop();
    if (prev) prev.setIcon(pinIcon(prev.task, false));
    const m = this.markers.get(id);
    if (m) {
      m.setIcon(pinIcon(m.task, true));
      this.lift(m);
    }
    this.mark();
  }

  /** hover lifts a task's pin while its row is under the pointer. */
  hover(id, on) {
    const e = this.markers.get(id)?.getElement?.();
    if (e) e.classList.toggle('hovered', on);
  }

  /** mark puts test ids on the drawn pins (Leaflet draws them lazily). */
  mark() {
    for (const [id, m] of this.markers) {
      const e = m.getElement?.();
      if (!e) continue;
      e.dataset.testid = 'queue-pin';
      e.dataset.id = String(id);
      e.dataset.status = m.task.status;
      e.dataset.priority = m.task.priority;
      if (m.task.overdue) e.dataset.late = 'true';
      if (id === this.selected) e.setAttribute('aria-current', 'true'); else e.removeAttribute('aria-current');
    }
  }

  /** centre is the map's centre in WGS84 [lon, lat], for the distance order. */
  centre(proj) {
    return proj.toLonLat(this.map.getCenter());
  }
}
