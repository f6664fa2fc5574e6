package pgtest

// CostsFixture is the costs' test data (docs/costs.md): two sub-districts,
// two crews, the Xihu North project's polygon (XHB-1-1, whose budget
// migration 019 seeds) and six tasks with cost lines around an as_of of
// 2025-10-31 (Asia/Shanghai). Apply it to an Empty database. The routine
// programme is given a budget of 5,000.00 元; the 2023–2024 programme has
// none.
//
//	task  programme  where                                   unit     lines (recorded → superseded)
//	T1    2023-2024  asset 1, the project itself (林园)       养护一队  est labour 10.5 h × 60.00 = 630.00; est materials 2.5 × 123.45 = 308.625 → 308.63;
//	                                                                  act equipment lump 1,000.00 (all 10-01)
//	T2    2023-2024  asset 2, a manhole inside the project   养护二队  act materials 1.25 × 480.00 = 600.00 (10-10 → 11-05);
//	                                                                  act materials 1.5 × 480.00 = 720.00 (11-05, after as_of)
//	T3    2023-2024  asset 3, a road in 春城                  养护一队  est equipment lump 50.00 (10-05 → 10-15); est labour 8 h × 50.00 = 400.00 (10-15);
//	                                                                  act labour 7.25 h × 50.00 = 362.50 (10-31 23:59:59, on the as_of day)
//	T4    routine    asset 4, a manhole in 林园 outside it    养护二队  act equipment lump 250.00 (11-01 00:00:00, the day after)
//	T5    routine    no asset, a point inside the project    —        est and act equipment 3 × 33.33 = 99.99 (10-20)
//	T6    routine    no asset, a point outside every zone    养护一队  act labour 0.01 h × 0.01 = 0.0001 → 0.00; act materials 1.001 × 9.99 = 9.99999 → 10.00 (10-20)
//
// The units were not always these: T3 was first dispatched, to 养护一队, on
// 11-03 (unassigned as of 10-31); T6 went to 养护二队 on 10-10 and was moved
// to 养护一队 on 11-02 (养护二队's as of 10-31). T1, T2, T4 have no such
// history: their units are as they were imported.
const CostsFixture = `
INSERT INTO areas (kind, name, name_en, geom) VALUES
 ('subdistrict', '林园街道', 'Linyuan', ST_Multi(ST_MakeEnvelope(125.20, 43.85, 125.25, 43.90, 4326))),
 ('subdistrict', '春城街道', 'Chuncheng', ST_Multi(ST_MakeEnvelope(125.25, 43.85, 125.30, 43.90, 4326)));
INSERT INTO crews (name) VALUES ('养护一队'), ('养护二队');

INSERT INTO assets (id, kind, code, name, subdistrict, geom) OVERRIDING SYSTEM VALUE VALUES
 (1, 'capital_project', 'XHB-1-1', '西湖北一地块', '林园街道', ST_MakeEnvelope(125.21, 43.86, 125.23, 43.88, 4326)),
 (2, 'manhole', '2201060103000001', '雨水井', '林园街道', ST_SetSRID(ST_MakePoint(125.22, 43.87), 4326)),
 (3, 'road_repair', 'R-1', '春城路', '春城街道', ST_SetSRID(ST_MakeLine(ST_MakePoint(125.26, 43.86), ST_MakePoint(125.28, 43.86)), 4326)),
 (4, 'manhole', '2201060103000002', '雨水井', '林园街道', ST_SetSRID(ST_MakePoint(125.24, 43.89), 4326));

INSERT INTO tasks (id, ref, programme, title, source, asset_id, location, assignee) OVERRIDING SYSTEM VALUE VALUES
 (1, 'CO-1', '2023-2024', 'T1', 'import', 1, NULL, '养护一队'),
 (2, 'CO-2', '2023-2024', 'T2', 'import', 2, NULL, '养护二队'),
 (3, 'CO-3', '2023-2024', 'T3', 'import', 3, NULL, '养护一队'),
 (4, 'CO-4', 'routine',   'T4', 'engineer', 4, NULL, '养护二队'),
 (5, 'CO-5', 'routine',   'T5', 'engineer', NULL, ST_SetSRID(ST_MakePoint(125.22, 43.865), 4326), NULL),
 (6, 'CO-6', 'routine',   'T6', 'engineer', NULL, ST_SetSRID(ST_MakePoint(125.10, 43.80), 4326), '养护一队');
SELECT setval(pg_get_serial_sequence('tasks', 'id'), 100);
SELECT setval(pg_get_serial_sequence('assets', 'id'), 100);

INSERT INTO cost_lines (task_id, position, kind, category, quantity_milli, unit, unit_price_fen, amount_fen, recorded_at, superseded_at, recorded_by) VALUES
 (1, 0, 'estimate', 'labour',    10500, 'h',  6000,  63000, '2025-10-01 10:00+08', NULL, 'eng@ly'),
 (1, 1, 'estimate', 'materials',  2500, 't',  12345, 30863, '2025-10-01 10:00+08', NULL, 'eng@ly'),
 (1, 2, 'actual',   'equipment', NULL,  '',   NULL, 100000, '2025-10-01 10:00+08', NULL, 'eng@ly'),
 (2, 0, 'actual',   'materials',  1250, 't',  48000, 60000, '2025-10-10 10:00+08', '2025-11-05 10:00+08', 'eng@ly'),
 (2, 0, 'actual',   'materials',  1500, 't',  48000, 72000, '2025-11-05 10:00+08', NULL, 'eng@ly'),
 (3, 0, 'estimate', 'equipment', NULL,  '',   NULL,   5000, '2025-10-05 10:00+08', '2025-10-15 10:00+08', 'eng@ly'),
 (3, 0, 'estimate', 'labour',     8000, 'h',  5000,  40000, '2025-10-15 10:00+08', NULL, 'eng@ly'),
 (3, 1, 'actual',   'labour',     7250, 'h',  5000,  36250, '2025-10-31 23:59:59+08', NULL, 'eng@ly'),
 (4, 0, 'actual',   'equipment', NULL,  '',   NULL,  25000, '2025-11-01 00:00:00+08', NULL, 'eng@ly'),
 (5, 0, 'estimate', 'equipment',  3000, '台班', 3333, 9999, '2025-10-20 10:00+08', NULL, 'eng@ly'),
 (5, 1, 'actual',   'equipment',  3000, '台班', 3333, 9999, '2025-10-20 10:00+08', NULL, 'eng@ly'),
 (6, 0, 'actual',   'labour',       10, 'h',     1,     0, '2025-10-20 10:00+08', NULL, 'eng@ly'),
 (6, 1, 'actual',   'materials',  1001, 'kg',  999,   1000, '2025-10-20 10:00+08', NULL, 'eng@ly');

INSERT INTO task_events (task_id, at, actor, actor_role, from_status, to_status, changes) VALUES
 (3, '2025-11-03 09:00+08', 'eng@ly', 'engineer', 'filed', 'dispatched', '{"assignee": [null, "养护一队"]}'),
 (6, '2025-10-10 09:00+08', 'eng@ly', 'engineer', 'filed', 'dispatched', '{"assignee": [null, "养护二队"]}'),
 (6, '2025-11-02 09:00+08', 'eng@ly', 'engineer', NULL, NULL, '{"assignee": ["养护二队", "养护一队"]}');

UPDATE cost_budgets SET budget_fen = 500000 WHERE key = 'routine';
`
