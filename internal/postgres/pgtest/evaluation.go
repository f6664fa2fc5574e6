package pgtest

// EvaluationFixture is the evaluation's test data (docs/evaluation.md): two
// sub-districts and eight cases around the 2025 National Day holiday
// (10-01 – 10-08 off; Sunday 09-28 and Saturday 10-11 worked), with an
// extension, a suspension, a hand-back and a rework. The clocks are written
// as the time-limit code would keep them; every deadline was worked out by
// hand on the working calendar (08:30–12:00, 13:00–17:30), and
// internal/postgres's TestEvaluation checks them against timelimit too.
// Apply it to an Empty database.
//
//	case  where      type          reported by            story
//	C1    林园街道   pothole        insp1 (inspector)      on time throughout, 处置 across the holiday
//	C2    林园街道   road_surface   insp1                  处置 extended by 3 working days, on time; 核查 late (insp2)
//	C3    春城街道   drain_blocked  a resident             filing late; handed back by 养护二队; redispatched to
//	                                                       养护一队, suspended a day, done; verification failed
//	                                                       (insp2); rework late; closed (insp1)
//	C4    春城街道   broken_cover   insp2                  不予立案 on time
//	C5    林园街道   pothole        insp2                  处置 (养护二队) still running, late since 10-22
//	C6    春城街道   minor_repair   an engineer            filing still running, late since 10-31 09:00
//	C7    林园街道   pothole        insp1                  处置 (养护二队) ended 11-03, after the as_of 10-31
//	C8    林园街道   pothole        insp1                  closed in August, before the window
const EvaluationFixture = `
INSERT INTO areas (kind, name, name_en, geom) VALUES
 ('subdistrict', '林园街道', 'Linyuan', ST_Multi(ST_MakeEnvelope(125.20, 43.85, 125.25, 43.90, 4326))),
 ('subdistrict', '春城街道', 'Chuncheng', ST_Multi(ST_MakeEnvelope(125.25, 43.85, 125.30, 43.90, 4326)));

INSERT INTO tasks (id, ref, title, work_type, status, status_at, source, location, created_at, updated_at) OVERRIDING SYSTEM VALUE VALUES
 (1, 'EV-1', 'C1', 'pothole',       'closed',      '2025-10-10 09:00+08', 'inspector', ST_SetSRID(ST_MakePoint(125.22, 43.87), 4326), '2025-09-29 09:00+08', now()),
 (2, 'EV-2', 'C2', 'road_surface',  'closed',      '2025-10-13 09:00+08', 'inspector', ST_SetSRID(ST_MakePoint(125.22, 43.88), 4326), '2025-09-22 09:00+08', now()),
 (3, 'EV-3', 'C3', 'drain_blocked', 'closed',      '2025-10-15 15:00+08', 'resident',  ST_SetSRID(ST_MakePoint(125.27, 43.87), 4326), '2025-10-09 08:00+08', now()),
 (4, 'EV-4', 'C4', 'broken_cover',  'rejected',    '2025-10-20 10:00+08', 'inspector', ST_SetSRID(ST_MakePoint(125.27, 43.88), 4326), '2025-10-20 09:00+08', now()),
 (5, 'EV-5', 'C5', 'pothole',       'in_progress', '2025-10-20 10:00+08', 'inspector', ST_SetSRID(ST_MakePoint(125.21, 43.86), 4326), '2025-10-20 09:00+08', now()),
 (6, 'EV-6', 'C6', 'minor_repair',  'reported',    '2025-10-30 16:00+08', 'engineer',  ST_SetSRID(ST_MakePoint(125.28, 43.86), 4326), '2025-10-30 16:00+08', now()),
 (7, 'EV-7', 'C7', 'pothole',       'done',        '2025-11-03 10:00+08', 'inspector', ST_SetSRID(ST_MakePoint(125.23, 43.86), 4326), '2025-10-27 09:00+08', now()),
 (8, 'EV-8', 'C8', 'pothole',       'closed',      '2025-08-08 10:00+08', 'inspector', ST_SetSRID(ST_MakePoint(125.23, 43.89), 4326), '2025-08-04 09:00+08', now());

-- The first history row of each case says who reported it; the rows that
-- left 处置完成 say who verified. (The other rows do not matter here.)
INSERT INTO task_events (task_id, at, actor, actor_role, from_status, to_status) VALUES
 (1, '2025-09-29 09:00+08', 'insp1@ly', 'inspector', NULL, 'reported'),
 (1, '2025-10-10 09:00+08', 'insp1@ly', 'inspector', 'done', 'closed'),
 (2, '2025-09-22 09:00+08', 'insp1@ly', 'inspector', NULL, 'reported'),
 (2, '2025-10-13 09:00+08', 'insp2@ly', 'inspector', 'done', 'closed'),
 (3, '2025-10-09 08:00+08', 'resident', 'resident', NULL, 'reported'),
 (3, '2025-10-13 10:00+08', 'insp2@ly', 'inspector', 'done', 'in_progress'),
 (3, '2025-10-15 15:00+08', 'insp1@ly', 'inspector', 'done', 'closed'),
 (4, '2025-10-20 09:00+08', 'insp2@ly', 'inspector', NULL, 'reported'),
 (5, '2025-10-20 09:00+08', 'insp2@ly', 'inspector', NULL, 'reported'),
 (6, '2025-10-30 16:00+08', 'eng@ly', 'engineer', NULL, 'reported'),
 (7, '2025-10-27 09:00+08', 'insp1@ly', 'inspector', NULL, 'reported'),
 (8, '2025-08-04 09:00+08', 'insp1@ly', 'inspector', NULL, 'reported'),
 (8, '2025-08-08 10:00+08', 'insp1@ly', 'inspector', 'done', 'closed');

-- Limits (docs/time-limits.md): 立案 and 派遣 2 working hours, 核查 1 working
-- day; 处置 pothole 2, road_surface 5, drain_blocked 1 working days.
INSERT INTO task_clocks (task_id, step, unit, n, assignee, started_at, deadline, extended, extensions,
                         paused_seconds, suspensions, rework, ended_at, outcome, late) VALUES
 -- C1: 处置 from Monday 09-29: day 1 is 09-30, then the holiday, day 2 is 10-09.
 (1, 'file',     'working_hours', 2, '',         '2025-09-29 09:00+08', '2025-09-29 11:00+08', 0, 0, 0, 0, false, '2025-09-29 10:00+08', 'passed', false),
 (1, 'dispatch', 'working_hours', 2, '',         '2025-09-29 10:00+08', '2025-09-29 12:00+08', 0, 0, 0, 0, false, '2025-09-29 11:00+08', 'passed', false),
 (1, 'handle',   'working_days',  2, '养护一队', '2025-09-29 11:00+08', '2025-10-09 17:30+08', 0, 0, 0, 0, false, '2025-10-09 16:00+08', 'passed', false),
 (1, 'verify',   'working_days',  1, '',         '2025-10-09 16:00+08', '2025-10-10 17:30+08', 0, 0, 0, 0, false, '2025-10-10 09:00+08', 'passed', false),
 -- C2: 5 working days from Monday 09-22 end on the make-up Sunday 09-28;
 -- extended by 3 they end on 10-09 (09-29, 09-30, the holiday, 10-09).
 -- 核查 from 10-09 is due 10-10 17:30 and ends Monday 10-13: late.
 (2, 'file',     'working_hours', 2, '',         '2025-09-22 09:00+08', '2025-09-22 11:00+08', 0, 0, 0, 0, false, '2025-09-22 09:30+08', 'passed', false),
 (2, 'dispatch', 'working_hours', 2, '',         '2025-09-22 09:30+08', '2025-09-22 11:30+08', 0, 0, 0, 0, false, '2025-09-22 10:00+08', 'passed', false),
 (2, 'handle',   'working_days',  5, '养护一队', '2025-09-22 10:00+08', '2025-10-09 17:30+08', 3, 1, 0, 0, false, '2025-10-09 10:00+08', 'passed', false),
 (2, 'verify',   'working_days',  1, '',         '2025-10-09 10:00+08', '2025-10-10 17:30+08', 0, 0, 0, 0, false, '2025-10-13 09:00+08', 'passed', true),
 -- C3: reported 08:00 counts from 08:30, so filing is due 10:30 and ends
 -- 11:00 (late). 派遣 from 11:00: 1 h to 12:00, 1 h from 13:00 → 14:00.
 -- Handed back at 15:00; 派遣 again 15:00 → 17:00. 处置 from 10-09 16:00 is
 -- due 10-10 17:30, suspended 10-10 09:00–17:30 (7.5 working hours), so due
 -- 7.5 working hours after 10-10 17:30: Saturday 10-11 (worked) 17:00.
 -- 核查 from Saturday 16:00 is due Monday 10-13 17:30; failed at 10:00; the
 -- rework from 10-13 10:00 is due 10-14 17:30 and ends 10-15 09:00 (late);
 -- 核查 again due 10-16 17:30, passed 10-15 15:00.
 (3, 'file',     'working_hours', 2, '',         '2025-10-09 08:00+08', '2025-10-09 10:30+08', 0, 0, 0, 0, false, '2025-10-09 11:00+08', 'passed', true),
 (3, 'dispatch', 'working_hours', 2, '',         '2025-10-09 11:00+08', '2025-10-09 14:00+08', 0, 0, 0, 0, false, '2025-10-09 11:30+08', 'passed', false),
 (3, 'handle',   'working_days',  1, '养护二队', '2025-10-09 11:30+08', '2025-10-10 17:30+08', 0, 0, 0, 0, false, '2025-10-09 15:00+08', 'handed_back', false),
 (3, 'dispatch', 'working_hours', 2, '',         '2025-10-09 15:00+08', '2025-10-09 17:00+08', 0, 0, 0, 0, false, '2025-10-09 16:00+08', 'passed', false),
 (3, 'handle',   'working_days',  1, '养护一队', '2025-10-09 16:00+08', '2025-10-11 17:00+08', 0, 0, 27000, 1, false, '2025-10-11 16:00+08', 'passed', false),
 (3, 'verify',   'working_days',  1, '',         '2025-10-11 16:00+08', '2025-10-13 17:30+08', 0, 0, 0, 0, false, '2025-10-13 10:00+08', 'rework', false),
 (3, 'handle',   'working_days',  1, '养护一队', '2025-10-13 10:00+08', '2025-10-14 17:30+08', 0, 0, 0, 0, true,  '2025-10-15 09:00+08', 'passed', true),
 (3, 'verify',   'working_days',  1, '',         '2025-10-15 09:00+08', '2025-10-16 17:30+08', 0, 0, 0, 0, false, '2025-10-15 15:00+08', 'passed', false),
 -- C4: 不予立案 within the 2 hours.
 (4, 'file',     'working_hours', 2, '',         '2025-10-20 09:00+08', '2025-10-20 11:00+08', 0, 0, 0, 0, false, '2025-10-20 10:00+08', 'rejected', false),
 -- C5: 处置 from Monday 10-20 10:00 due Wednesday 10-22 17:30, still running.
 (5, 'file',     'working_hours', 2, '',         '2025-10-20 09:00+08', '2025-10-20 11:00+08', 0, 0, 0, 0, false, '2025-10-20 09:30+08', 'passed', false),
 (5, 'dispatch', 'working_hours', 2, '',         '2025-10-20 09:30+08', '2025-10-20 11:30+08', 0, 0, 0, 0, false, '2025-10-20 10:00+08', 'passed', false),
 (5, 'handle',   'working_days',  2, '养护二队', '2025-10-20 10:00+08', '2025-10-22 17:30+08', 0, 0, 0, 0, false, NULL, NULL, NULL),
 -- C6: reported Thursday 10-30 16:00: 1.5 h that day, 0.5 h on Friday → 09:00.
 (6, 'file',     'working_hours', 2, '',         '2025-10-30 16:00+08', '2025-10-31 09:00+08', 0, 0, 0, 0, false, NULL, NULL, NULL),
 -- C7: 处置 from Monday 10-27 09:20 due 10-29 17:30, done 11-03 (late, but
 -- at the as_of 10-31 it is still running); 核查 starts after the as_of.
 (7, 'file',     'working_hours', 2, '',         '2025-10-27 09:00+08', '2025-10-27 11:00+08', 0, 0, 0, 0, false, '2025-10-27 09:10+08', 'passed', false),
 (7, 'dispatch', 'working_hours', 2, '',         '2025-10-27 09:10+08', '2025-10-27 11:10+08', 0, 0, 0, 0, false, '2025-10-27 09:20+08', 'passed', false),
 (7, 'handle',   'working_days',  2, '养护二队', '2025-10-27 09:20+08', '2025-10-29 17:30+08', 0, 0, 0, 0, false, '2025-11-03 10:00+08', 'passed', true),
 (7, 'verify',   'working_days',  1, '',         '2025-11-03 10:00+08', '2025-11-04 17:30+08', 0, 0, 0, 0, false, NULL, NULL, NULL),
 -- C8: all in August.
 (8, 'file',     'working_hours', 2, '',         '2025-08-04 09:00+08', '2025-08-04 11:00+08', 0, 0, 0, 0, false, '2025-08-04 09:30+08', 'passed', false),
 (8, 'handle',   'working_days',  2, '养护一队', '2025-08-04 10:00+08', '2025-08-06 17:30+08', 0, 0, 0, 0, false, '2025-08-05 10:00+08', 'passed', false),
 (8, 'verify',   'working_days',  1, '',         '2025-08-05 10:00+08', '2025-08-06 17:30+08', 0, 0, 0, 0, false, '2025-08-08 10:00+08', 'passed', true);
SELECT setval(pg_get_serial_sequence('tasks', 'id'), 100);
`
