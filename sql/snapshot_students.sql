-- Students counted in report week W (spec §11): enrolled before the cut-off date and not
-- withdrawn on or before the Monday of W. Parameters: org_id, week_start, cutoff_date.
SELECT s.student_id,
       s.display_name,
       s.class_name,
       s.enrolled_on,
       s.withdrawn_on
FROM students AS s
WHERE s.org_id = %(org_id)s
  AND s.enrolled_on < %(cutoff_date)s
  AND (s.withdrawn_on IS NULL OR s.withdrawn_on > %(week_start)s)
ORDER BY s.student_id;
