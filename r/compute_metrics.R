#!/usr/bin/env Rscript
# The R metrics engine: spec v1 (docs/metrics.md, with the optional ENGAGEMENT domain
# included), result-identical to the Python engine (risk_assets/metrics/), which is the reference.
#
#   Rscript --vanilla r/compute_metrics.R <snapshot_dir> <thresholds.yaml> <out.csv>
#
# <snapshot_dir> is an exchange folder written by risk_assets/metrics/exchange.py; <out.csv> gets one row
# per counted student, ordered by student_id, with the columns of r/vocabulary.json.
# When DAGSTER_PIPES_CONTEXT is set the script is a Dagster Pipes client (pipes.R): it reports progress,
# a materialization with metadata, and errors to Dagster.
#
# Every domain is vectorised over students (data.table joins and grouped aggregates); the only loops run
# over codes, over the handful of Newton passes of c_hat, or over a fixed list of look-ups.

# The work is vectorised: byte-compiling every closure on first use (R's JIT) costs more than it saves.
if (sys.nframe() == 0L) invisible(compiler::enableJIT(0L))

REQUIRED_PACKAGES <- c("data.table", "jsonlite", "yaml")

VALID_OUTCOMES <- c("correct", "incorrect", "omitted")  # codes 1, 2, 3 (risk_assets.snapshot.hygiene)
CORRECT <- 1L; OMITTED <- 3L
ABSENT_STATUSES <- c("absent", "excused")

C_MAX <- 0.5
MAX_NEWTON_STEPS <- 100L
ROOT_TOLERANCE <- 1e-14

# -- packages ---------------------------------------------------------------------------------------------

missing_packages <- function() {
  REQUIRED_PACKAGES[!vapply(REQUIRED_PACKAGES, requireNamespace, logical(1), quietly = TRUE)]
}

package_message <- function(pkg) {
  sprintf("R package '%s' is not installed: apt-get install -y r-cran-%s", pkg, tolower(pkg))
}

# -- vocabulary ---------------------------------------------------------------------------------------------

#' The product's words, columns, threshold defaults and profiles, from r/vocabulary.json: generated from
#' risk_assets/vocabulary.py (`python -m risk_assets.vocabulary > r/vocabulary.json`), never written by hand.
load_vocabulary <- function(path = file.path(script_dir(), "vocabulary.json")) {
  if (!file.exists(path))
    stop(sprintf("%s is missing: regenerate it with `python -m risk_assets.vocabulary > r/vocabulary.json`", path),
         call. = FALSE)
  v <- jsonlite::fromJSON(path, simplifyVector = FALSE)
  kinds <- unlist(v$student_columns)
  list2env(list(
    SPEC_VERSION = v$spec_version,
    CRIT = v$statuses$crit, WARN = v$statuses$warn, OK = v$statuses$ok, INSUFFICIENT = v$statuses$insufficient,
    LEVELS = unlist(v$levels), LEVEL_INSUFFICIENT = v$level_insufficient,
    REASON_CODES = unlist(v$reason_codes),
    STUDENT_COLUMNS = names(kinds),
    INTEGER_COLUMNS = names(kinds)[kinds %in% c("integer", "nullable_integer")],
    TEXT_COLUMNS = names(kinds)[kinds == "text"],
    THRESHOLD_DEFAULTS = v$threshold_defaults,
    PROFILE_OVERRIDES = v$threshold_profiles
  ), envir = topenv())
  invisible(v)
}

# -- thresholds (defaults and profiles: risk_assets/config/thresholds.py, via r/vocabulary.json) -------------

deep_merge <- function(base, override) {
  for (key in names(override)) {
    value <- override[[key]]
    if (is.list(value) && is.list(base[[key]])) base[[key]] <- deep_merge(base[[key]], value)
    else base[key] <- list(value)
  }
  base
}

#' Profile defaults first, then every key of the file (as Thresholds.from_mapping does).
read_thresholds <- function(path) {
  if (!file.exists(path)) stop(sprintf("thresholds file %s does not exist", path), call. = FALSE)
  raw <- yaml::read_yaml(path)
  if (is.null(raw)) raw <- list()
  if (!is.list(raw) || (length(raw) && is.null(names(raw))))
    stop(sprintf("thresholds file %s must be a mapping (e.g. `profile: legacy`)", path), call. = FALSE)
  profile <- if (is.null(raw$profile)) "legacy" else raw$profile
  if (!is.character(profile) || length(profile) != 1L || !profile %in% names(PROFILE_OVERRIDES))
    stop(sprintf("unknown thresholds profile '%s' in %s: use one of %s", paste(profile, collapse = ","), path,
                 paste(names(PROFILE_OVERRIDES), collapse = ", ")), call. = FALSE)
  sections <- raw[names(raw) != "profile"]
  for (section in names(sections)) {
    known <- names(THRESHOLD_DEFAULTS[[section]])
    if (is.null(known))
      stop(sprintf("unknown thresholds section '%s' in %s: expected one of %s", section, path,
                   paste(names(THRESHOLD_DEFAULTS), collapse = ", ")), call. = FALSE)
    if (!is.list(sections[[section]]) || (length(sections[[section]]) && is.null(names(sections[[section]]))))
      stop(sprintf("thresholds section '%s' in %s must be a mapping of keys to values", section, path),
           call. = FALSE)
    unknown <- setdiff(names(sections[[section]]), known)
    if (length(unknown))
      stop(sprintf("unknown thresholds key(s) %s in %s", paste0(section, ".", unknown, collapse = ", "), path),
           call. = FALSE)
  }
  merged <- deep_merge(deep_merge(THRESHOLD_DEFAULTS, PROFILE_OVERRIDES[[profile]]), sections)
  for (key in c("theta.gate", "theta.streak_gate", "guess.gate")) {
    parts <- strsplit(key, ".", fixed = TRUE)[[1L]]
    value <- merged[[parts[1L]]][[parts[2L]]]
    if (!identical(value, "none") && !identical(value, "z"))
      stop(sprintf("thresholds key %s in %s must be none or z, got '%s'", key, path, format(value)), call. = FALSE)
  }
  for (section in names(THRESHOLD_DEFAULTS)) {
    for (key in names(THRESHOLD_DEFAULTS[[section]])) {
      value <- merged[[section]][[key]]
      if (is.character(THRESHOLD_DEFAULTS[[section]][[key]])) next
      if (is.logical(THRESHOLD_DEFAULTS[[section]][[key]])) {
        if (!is.logical(value) || length(value) != 1L || is.na(value))
          stop(sprintf("thresholds key %s.%s in %s must be true or false, got '%s'", section, key, path,
                       paste(format(value), collapse = " ")), call. = FALSE)
        next
      }
      if (!is.numeric(value) || length(value) != 1L || !is.finite(value))
        stop(sprintf("thresholds key %s.%s in %s must be a number, got '%s'", section, key, path,
                     paste(format(value), collapse = " ")), call. = FALSE)
      merged[[section]][[key]] <- as.double(value)
    }
  }
  merged$profile <- profile
  merged
}

# -- input ------------------------------------------------------------------------------------------------

# The exchange folder (risk_assets/metrics/exchange.py): window.json, tables.json, and a file per column.
EXCHANGE_FILES <- c("window.json", "tables.json")
# Per-item response times (ENGAGEMENT); absent from a snapshot stored before they were taken.
ITEM_TIMES_TABLE <- "item_times"

#' One table of the exchange folder, the columns in `wanted` only, each read whole with readBin.
read_table <- function(dir, layout, name, wanted) {
  spec <- layout[[name]]
  if (is.null(spec)) stop(sprintf("snapshot folder %s lacks table %s (tables.json)", dir, name), call. = FALSE)
  missing <- setdiff(wanted, names(spec$columns))
  if (length(missing))
    stop(sprintf("table %s in %s lacks column(s) %s", name, dir, paste(missing, collapse = ", ")), call. = FALSE)
  columns <- lapply(wanted, function(column) read_column(dir, name, column, spec$columns[[column]], spec$rows))
  data.table::setDT(stats::setNames(columns, wanted))
}

#' Doubles (NaN = NULL, made R's NA) or, for text, 1-based codes into the column's levels.
read_column <- function(dir, table, column, spec, rows) {
  text <- identical(spec$kind, "text")
  size <- if (text) 4L else 8L
  file <- file.path(table, paste0(column, if (text) ".i32" else ".f64"))
  path <- file.path(dir, file)
  if (!file.exists(path)) stop(sprintf("snapshot folder %s lacks %s", dir, file), call. = FALSE)
  if (file.size(path) != rows * size)
    stop(sprintf("%s in %s holds %.0f values where tables.json says %.0f rows; export the snapshot again",
                 file, dir, file.size(path) / size, rows), call. = FALSE)
  values <- readBin(path, if (text) "integer" else "double", n = rows, size = size, endian = "little")
  if (text) return(as.character(unlist(spec$levels))[values])
  values[is.nan(values)] <- NA_real_
  if (identical(spec$kind, "date")) values <- structure(as.integer(values), class = c("IDate", "Date"))
  values
}

read_snapshot <- function(dir) {
  if (!dir.exists(dir)) stop(sprintf("snapshot folder %s does not exist", dir), call. = FALSE)
  absent <- EXCHANGE_FILES[!file.exists(file.path(dir, EXCHANGE_FILES))]
  if (length(absent))
    stop(sprintf("snapshot folder %s lacks %s", dir, paste(absent, collapse = ", ")), call. = FALSE)
  window <- jsonlite::fromJSON(file.path(dir, "window.json"), simplifyVector = TRUE)
  instants <- unlist(window$instants_us)
  for (days in c(0, 7, 14, 21, 28)) {
    if (is.null(instants[[sprintf("c_minus_%dd", days)]]))
      stop(sprintf("window.json in %s lacks instants_us.c_minus_%dd", dir, days), call. = FALSE)
  }
  layout <- jsonlite::fromJSON(file.path(dir, "tables.json"), simplifyVector = FALSE)
  students <- read_table(dir, layout, "students",
                         c("student_id", "display_name", "class_name", "enrolled_on", "withdrawn_on"))
  presentations <- read_table(dir, layout, "presentations", c(
    "presentation_id", "student_id", "session_id", "item_id", "presented_at", "outcome", "response_time_ms",
    "item_known", "a", "b", "c", "n_options"))
  theta <- read_table(dir, layout, "theta", c("estimate_id", "student_id", "estimated_at", "theta", "se"))
  school_days <- read_table(dir, layout, "school_days", "school_date")
  attendance <- read_table(dir, layout, "attendance", c("student_id", "school_date", "status"))
  item_times <- NULL
  if (!is.null(layout[[ITEM_TIMES_TABLE]]))
    item_times <- read_table(dir, layout, ITEM_TIMES_TABLE, c("item_id", "n_timed", "sum_response_time_ms"))
  list(
    window = list(
      tenant = window$tenant,
      instant = function(days) as.double(instants[[sprintf("c_minus_%dd", days)]]),
      evaluation_start_date = data.table::as.IDate(window$evaluation_start_date),
      week_start_date = data.table::as.IDate(window$week_start_date)
    ),
    students = students, presentations = presentations, theta = theta, school_days = school_days,
    attendance = attendance, item_times = item_times, dir = dir
  )
}

# -- helpers ----------------------------------------------------------------------------------------------

#' NA-safe logical: a comparison with NULL is FALSE (as numpy's NaN comparisons are).
holds <- function(x) !is.na(x) & x

#' Per-position sums in row order with plain double accumulation, as numpy's bincount does (base sum()
#' and cumsum() accumulate in long double, so they could differ in the last bit; rowsum() does not).
#' Returns a function of a vector (or a matrix of columns summed at once) over rows with positions `pos`
#' in 1..n, giving a length-n vector (or an n-row matrix); built once per set of rows.
group_summer <- function(pos, n) {
  groups <- unique(pos)
  function(values) {
    values <- as.matrix(values)
    out <- matrix(0, n, ncol(values))
    if (length(pos)) out[groups, ] <- rowsum(values, pos, reorder = FALSE)
    if (ncol(out) == 1L) out[, 1L] else out
  }
}

count_by <- function(pos, n) tabulate(pos, nbins = n)

#' CRIT over WARN over INSUFFICIENT over OK.
grade <- function(crit, warn, insufficient) {
  data.table::fifelse(crit, CRIT, data.table::fifelse(warn, WARN, data.table::fifelse(insufficient, INSUFFICIENT, OK)))
}

#' One measure contributes only its highest-severity code.
highest <- function(crit_code, crit, warn_code, warn) {
  stats::setNames(list(crit, warn & !crit), c(crit_code, warn_code))
}

#' A domain's result: statuses, reason-code flags and the numbers behind them (plus any extras).
domain <- function(status, codes, values, ...) c(list(status = status, codes = codes, values = values), list(...))

# -- THETA (docs/metrics.md: THETA) ------------------------------------------------------------------------------------

theta_domain <- function(theta, n, window, rules) {
  estimates <- theta[!is.na(pos)]
  data.table::setorder(estimates, pos, estimated_at, estimate_id)  # larger estimate_id wins a tie

  # theta_at(C - d, age): the last estimate with C - (d + age) <= estimated_at < C - d.
  theta_at <- function(days_before, max_age) {
    start <- window$instant(days_before + max_age)
    end <- window$instant(days_before)
    last <- unique(estimates[estimated_at >= start & estimated_at < end], by = "pos", fromLast = TRUE)
    value <- rep(NA_real_, n); se <- rep(NA_real_, n)
    value[last$pos] <- last$theta
    se[last$pos] <- last$se
    list(theta = value, se = se, exists = !is.na(value))
  }
  z_score <- function(delta, se_a, se_b) delta / sqrt(se_a^2 + se_b^2)
  drop <- function(delta, z, threshold) {
    fires <- holds(delta < threshold)
    if (rules$gate == "z") fires <- fires & holds(z <= rules$z_max)
    fires
  }

  now <- theta_at(0, 7)
  base_7 <- theta_at(7, 14)
  base_14 <- theta_at(14, 14)
  delta_7 <- now$theta - base_7$theta
  delta_14 <- now$theta - base_14$theta
  z_7 <- z_score(delta_7, now$se, base_7$se)
  z_14 <- z_score(delta_14, now$se, base_14$se)
  crit_7 <- drop(delta_7, z_7, rules$delta_7d_crit)
  warn_7 <- drop(delta_7, z_7, rules$delta_7d_warn)
  crit_14 <- drop(delta_14, z_14, rules$delta_14d_crit)
  warn_14 <- drop(delta_14, z_14, rules$delta_14d_warn)

  weekly <- c(list(now), lapply(1:3, function(k) theta_at(7 * k, 7)))
  streak_known <- Reduce(`&`, lapply(weekly, `[[`, "exists"))
  falls <- Reduce(`&`, lapply(1:3, function(j) holds((weekly[[j]]$theta - weekly[[j + 1]]$theta) < -rules$streak_eps)))
  if (rules$streak_gate == "z")
    falls <- falls & holds(z_score(weekly[[1]]$theta - weekly[[4]]$theta, weekly[[1]]$se, weekly[[4]]$se) <= rules$z_max)
  decline <- falls & streak_known

  insufficient <- !now$exists | (is.na(delta_7) & is.na(delta_14))
  evaluated <- !insufficient
  codes <- c(highest("THETA_DROP_7D_CRIT", crit_7, "THETA_DROP_7D_WARN", warn_7),
             highest("THETA_DROP_14D_CRIT", crit_14, "THETA_DROP_14D_WARN", warn_14),
             list(THETA_DECLINE_3WK = decline))
  codes <- lapply(codes, function(flags) flags & evaluated)
  codes <- c(codes, list(
    INSUFF_THETA_NO_RECENT = !now$exists,
    INSUFF_THETA_NO_BASELINE_7D = !base_7$exists,
    INSUFF_THETA_NO_BASELINE_14D = !base_14$exists,
    INSUFF_THETA_STREAK = !streak_known
  ))
  domain(
    status = grade(crit_7 | crit_14, warn_7 | warn_14 | decline, insufficient),
    codes = codes,
    values = list(theta_now = now$theta, se_now = now$se, delta_7d = delta_7, delta_14d = delta_14,
                  z_7d = z_7, z_14d = z_14),
    theta_ref = base_14
  )
}

# -- OMIT (docs/metrics.md: OMIT) --------------------------------------------------------------------------------------

omit_domain <- function(pres, n, rules) {
  # Rows are in the metrics' order (student, presented_at, item_id, presentation_id): an omitted presentation
  # is OMITTED when a later answered presentation exists in its session, otherwise NOT_REACHED.
  answered <- pres$oc != OMITTED
  rank <- seq_len(nrow(pres))
  ranks <- data.table::data.table(pos = pres$pos, session_id = pres$session_id,
                                  ranked = data.table::fifelse(answered, rank, -1L))
  last_answered <- integer(0)
  if (nrow(ranks)) {
    last <- ranks[, list(last_answered = max(ranked)), by = c("pos", "session_id")]
    last_answered <- last[ranks, on = c("pos", "session_id"), x.last_answered]
  }
  # One pass: each row is answered (1), OMITTED (2) or NOT_REACHED (3).
  kind <- data.table::fifelse(answered, 1L, data.table::fifelse(rank < last_answered, 2L, 3L))
  counts <- matrix(tabulate((pres$pos - 1L) * 3L + kind, nbins = 3L * n), nrow = 3L)
  n_answered <- counts[1L, ]
  n_omitted <- counts[2L, ]
  n_not_reached <- counts[3L, ]
  n_presented <- n_answered + n_omitted

  insufficient <- n_presented < rules$min_presented
  # Rates against thresholds use integer cross-multiplication, never floats.
  crit <- !insufficient & (100 * n_omitted >= rules$crit_pct * n_presented) & (n_omitted >= rules$min_count)
  warn <- !insufficient & (100 * n_omitted >= rules$warn_pct * n_presented) & (n_omitted >= rules$min_count)
  rate <- ifelse(n_presented > 0, n_omitted / n_presented, NA_real_)
  domain(
    status = grade(crit, warn, insufficient),
    codes = c(highest("OMIT_CRIT", crit, "OMIT_WARN", warn), list(INSUFF_OMIT_FEW_ITEMS = insufficient)),
    values = list(n_presented = n_presented, n_omitted = n_omitted, n_not_reached = n_not_reached,
                  omit_rate = rate)
  )
}

# -- GUESS (docs/metrics.md: GUESS) ------------------------------------------------------------------------------------

#' First answered presentation of each item per student, kept when n_options >= 3, a > 0 and b finite.
guess_items <- function(pres) {
  answered <- which(pres$oc != OMITTED)
  item <- pres$item_id[answered]
  distinct <- unique(item)
  key <- pres$pos[answered] * (length(distinct) + 1) + match(item, distinct)  # exact: far below 2^53
  first <- answered[!duplicated(key)]
  a <- pres$a[first]; b <- pres$b[first]
  used <- first[holds(pres$n_options[first] >= 3) & is.finite(a) & holds(a > 0) & is.finite(b)]
  list(pos = pres$pos[used], x = as.integer(pres$oc[used] == CORRECT), a = pres$a[used], b = pres$b[used],
       c = pres$c[used])
}

#' The score function of the students being solved, and its safeguarded Newton root (guessing.py _Model).
#' `pos` (dense 1..n) of each correct row in summation order; n0 per student.
c_hat_model <- function(pos, p, q, scale, n0, alpha, beta) {
  n <- length(n0)
  prior <- function(c, power) {
    if (alpha == 1) return(numeric(length(c)))
    if (power == 1) (alpha - 1) / c else (alpha - 1) / c^2
  }
  # s(c) = Σ_{x=1} q/(p + c·q) − (n0 + β − 1)/(1 − c) + (α − 1)/c and I(c) = −s'(c) =
  # Σ_{x=1} (q/P)² + (n0 + β − 1)/(1 − c)² + (α − 1)/c², from one pass over the rows.
  sum_by <- group_summer(pos, n)
  score_and_information <- function(c) {
    ratio <- q / (p + c[pos] * q)
    sums <- matrix(sum_by(cbind(ratio, ratio^2)), ncol = 2L)
    list(score = sums[, 1L] - (n0 + beta - 1) / (1 - c) + prior(c, 1),
         information = sums[, 2L] + (n0 + beta - 1) / (1 - c)^2 + prior(c, 2))
  }
  score <- function(c) score_and_information(c)$score
  information <- function(c) score_and_information(c)$information
  slope <- function(c) {  # dĉ/dθ = −[Σ_{x=1} D·a·p·q/P²] / I
    big_p <- p + c[pos] * q
    -sum_by(scale * p * q / big_p^2) / information(c)
  }
  solve <- function() {
    # ĉ = 0.5 when s(0.5) >= 0 (with α = 1 also ĉ = 0 when s(0) <= 0), else the root of s on (0, 0.5):
    # Newton steps inside the shrinking bisection bracket reach the 60-step bisection's answer (to
    # rounding), step for step as the Python engine takes them.
    c_hat <- rep(NA_real_, n)
    if (n == 0L) return(c_hat)
    at_top <- score(rep(C_MAX, n)) >= 0
    c_hat[at_top] <- C_MAX
    open <- !at_top
    if (alpha == 1) {
      at_zero <- open & score(numeric(n)) <= 0
      c_hat[at_zero] <- 0
      open <- open & !at_zero
    }
    lo <- numeric(n); hi <- rep(C_MAX, n)
    c <- rep(C_MAX / 2, n)
    for (step in seq_len(MAX_NEWTON_STEPS)) {
      both <- score_and_information(c)
      s <- both$score
      up <- holds(s > 0)
      lo <- data.table::fifelse(up, c, lo)
      hi <- data.table::fifelse(up, hi, c)
      delta <- s / both$information
      converged <- holds(abs(delta) <= ROOT_TOLERANCE) | holds(hi - lo <= ROOT_TOLERANCE)
      newton <- c + delta
      inside <- holds(newton >= lo) & holds(newton <= hi)
      c <- data.table::fifelse(inside | converged, newton, (lo + hi) / 2)
      if (all(converged[open])) break
    }
    c_hat[open] <- c[open]
    c_hat
  }
  list(solve = solve, information = information, slope = slope)
}

#' 100·(#{v_j < v} + 0.5·#{v_j = v}) / N over the students in `among`; NA for the others.
mid_rank_percentile <- function(values, among) {
  pool <- sort(values[among])
  pct <- rep(NA_real_, length(values))
  v <- values[among]
  below <- findInterval(v, pool, left.open = TRUE)
  equal <- findInterval(v, pool) - below
  pct[among] <- 100 * (below + 0.5 * equal) / length(pool)
  pct
}

guess_domain <- function(items, n, theta_ref, se_ref, rules, D) {
  n_items <- count_by(items$pos, n)
  has_ref <- is.finite(theta_ref)
  scale <- D * items$a
  z <- scale * (theta_ref[items$pos] - items$b)
  p <- 1 / (1 + exp(-z))  # p and q each computed directly, never 1 - p
  q <- 1 / (1 + exp(z))
  n_hard <- count_by(items$pos[holds(p < rules$hard_p)], n)

  few_items <- n_items < rules$min_items
  few_hard <- has_ref & (n_hard < rules$min_hard_items)
  evaluated <- has_ref & !few_items & !few_hard

  solved <- which(evaluated)
  dense <- rep(NA_integer_, n)
  dense[solved] <- seq_along(solved)
  rows <- evaluated[items$pos]
  correct <- rows & items$x == 1L
  incorrect <- rows & items$x == 0L
  model <- c_hat_model(pos = dense[items$pos[correct]], p = p[correct], q = q[correct], scale = scale[correct],
                       n0 = as.double(count_by(dense[items$pos[incorrect]], length(solved))),
                       alpha = rules$prior_alpha, beta = rules$prior_beta)
  c_hat_solved <- model$solve()
  se_c <- 1 / sqrt(model$information(c_hat_solved))
  dc_dtheta <- model$slope(c_hat_solved)
  se_total <- sqrt(se_c^2 + (dc_dtheta * se_ref[solved])^2)
  # c_ref: mean of the finite item c of the items used (NA when none is finite).
  item_c <- items$c[rows]
  finite <- is.finite(item_c)
  used_pos <- dense[items$pos[rows]]
  sums <- matrix(group_summer(used_pos, length(solved))(cbind(ifelse(finite, item_c, 0), as.double(finite))),
                 ncol = 2L)
  total <- sums[, 1L]
  count <- sums[, 2L]
  c_ref <- ifelse(count > 0, total / count, NA_real_)
  z_c <- (c_hat_solved - c_ref) / se_total

  c_hat <- rep(NA_real_, n); c_se <- rep(NA_real_, n); c_z <- rep(NA_real_, n)
  c_hat[solved] <- c_hat_solved; c_se[solved] <- se_total; c_z[solved] <- z_c

  gate <- if (rules$gate == "z") holds(c_z >= rules$z_min) else rep(TRUE, n)
  crit <- evaluated & holds(c_hat >= rules$crit) & gate
  warn <- evaluated & holds(c_hat >= rules$warn) & gate
  domain(
    status = grade(crit, warn, !evaluated),
    codes = c(highest("GUESS_CRIT", crit, "GUESS_WARN", warn), list(
      INSUFF_GUESS_NO_THETA_REF = !has_ref,
      INSUFF_GUESS_FEW_ITEMS = few_items,
      INSUFF_GUESS_FEW_HARD_ITEMS = few_hard
    )),
    values = list(c_hat = c_hat, c_hat_se = c_se, c_hat_z = c_z,
                  c_hat_pct = mid_rank_percentile(c_hat, evaluated),
                  n_guess_items = n_items, n_guess_hard = ifelse(has_ref, n_hard, NA_integer_))
  )
}

# -- ATTENDANCE (docs/metrics.md: ATTENDANCE) --------------------------------------------------------------------------

attendance_domain <- function(students, school_days, attendance, n, window, rules) {
  # Every (student, scheduled day): the tenant's dates within [enrolled_on, withdrawn_on), by student, date.
  days <- sort(school_days$school_date)
  grid <- data.table::data.table(pos = rep(seq_len(n), each = length(days)), day = rep(days, times = n))
  grid[, `:=`(enrolled = students$enrolled_on[pos], withdrawn = students$withdrawn_on[pos])]
  grid <- grid[day >= enrolled & !holds(day >= withdrawn), list(pos, day)]

  # A (student, day) has at most one record: the last one in the file counts, as in the Python engine.
  # Records on days that are not scheduled for the student find no grid row and are ignored.
  records <- unique(attendance[!is.na(pos)], by = c("pos", "school_date"), fromLast = TRUE)
  grid[, `:=`(recorded = FALSE, absent = FALSE, late = FALSE)]
  grid[records, on = c(pos = "pos", day = "school_date"),
       `:=`(recorded = TRUE, absent = i.status %in% ABSENT_STATUSES, late = i.status == "late")]

  in_window <- grid$day >= window$evaluation_start_date
  in_week <- grid$day >= window$week_start_date
  per_student <- function(mask) count_by(grid$pos[mask], n)
  scheduled_window <- per_student(in_window)
  missing <- per_student(in_window & !grid$recorded)
  s_w <- per_student(in_week & grid$recorded); a_w <- per_student(in_week & grid$absent)
  s_2 <- per_student(in_window & grid$recorded); a_2 <- per_student(in_window & grid$absent)
  n_late <- per_student(in_window & grid$late)

  # Longest run of consecutive ABSENT scheduled days whose last day is in the window, counted with its
  # full length; days that are not scheduled are not in the sequence, a day without a record breaks a run.
  grid[, run := data.table::rleid(pos, absent)]
  streak <- integer(n)
  runs <- grid[absent == TRUE, list(pos = pos[1L], length = .N, last_day = day[.N]), by = run]
  runs <- runs[last_day >= window$evaluation_start_date]
  if (nrow(runs)) {
    longest <- runs[, list(longest = max(length)), by = pos]
    streak[longest$pos] <- longest$longest
  }

  too_many_missing <- 100 * missing > rules$max_missing_pct * scheduled_window
  week_rated <- s_w >= rules$min_week_days
  two_week_rated <- s_2 >= rules$min_two_week_days
  usable <- !too_many_missing
  week_crit <- usable & week_rated & (100 * a_w >= rules$week_crit_pct * s_w) & (a_w >= rules$weekly_crit_min_days)
  week_warn <- usable & week_rated & (100 * a_w >= rules$week_warn_pct * s_w)
  two_crit <- usable & two_week_rated & (100 * a_2 >= rules$two_week_crit_pct * s_2)
  two_warn <- usable & two_week_rated & (100 * a_2 >= rules$two_week_warn_pct * s_2)
  streak_crit <- usable & (streak >= rules$streak_crit_days)
  few_days <- !week_rated & !two_week_rated & !streak_crit
  insufficient <- too_many_missing | few_days
  domain(
    status = grade(week_crit | two_crit | streak_crit, week_warn | two_warn, insufficient),
    codes = c(highest("ABSENCE_WEEK_CRIT", week_crit, "ABSENCE_WEEK_WARN", week_warn),
              highest("ABSENCE_2WK_CRIT", two_crit, "ABSENCE_2WK_WARN", two_warn),
              list(ABSENCE_STREAK_CRIT = streak_crit, INSUFF_ATT_MISSING_RECORDS = too_many_missing,
                   INSUFF_ATT_FEW_DAYS = few_days)),
    values = list(sched_week = s_w, absent_week = a_w, sched_2wk = s_2, absent_2wk = a_2,
                  att_missing_days = missing, max_streak = streak, n_late = n_late)
  )
}

# -- ENGAGEMENT (docs/metrics.md: ENGAGEMENT, optional) ----------------------------------------------------------------

#' Each item's limit in ms (an answer is rapid below it): with n timed answers summing to S in the 90 days before
#' C, `rt < pct/100 * S/n` is, for a whole number of ms, `rt < ceiling(pct * S / (100 * n))`, capped; the default
#' when n < min_history. The ceiling is computed exactly: the products are integers far below 2^53, where
#' doubles are exact, and the quotient's rounding is corrected by comparing them.
item_limits <- function(item_times, rules) {
  scaled_sum <- rules$rt_fraction_pct * item_times$sum_response_time_ms
  scaled_n <- 100 * pmax(item_times$n_timed, 1)
  q <- floor(scaled_sum / scaled_n)
  q <- q - (q * scaled_n > scaled_sum) + ((q + 1) * scaled_n <= scaled_sum)  # floor, exactly
  ceiling_ms <- q + (q * scaled_n < scaled_sum)
  data.table::fifelse(item_times$n_timed >= rules$min_history, pmin(ceiling_ms, rules$rt_cap_ms),
                      rules$default_threshold_ms)
}

#' Rapid guesses: timed answers (answered, known item, with a response time) below their item's limit.
engagement_domain <- function(pres, item_times, n, rules) {
  timed <- pres$oc != OMITTED & pres$item_known == 1 & !is.na(pres$response_time_ms)
  limit <- c(item_limits(item_times, rules), rules$default_threshold_ms)[
    data.table::fifelse(is.na(at <- match(pres$item_id, item_times$item_id)), nrow(item_times) + 1L, at)]
  rapid <- timed & holds(pres$response_time_ms < limit)
  n_timed <- tabulate(pres$pos[timed], nbins = n)
  n_rapid <- tabulate(pres$pos[rapid], nbins = n)
  insufficient <- n_timed < rules$min_answered
  crit <- !insufficient & (100 * n_rapid >= rules$crit_pct * n_timed)
  warn <- !insufficient & (100 * n_rapid >= rules$warn_pct * n_timed)
  domain(
    status = grade(crit, warn, insufficient),
    codes = c(highest("RAPID_GUESS_CRIT", crit, "RAPID_GUESS_WARN", warn),
              list(INSUFF_ENGAGEMENT_FEW_ITEMS = insufficient)),
    values = list(n_timed = n_timed, n_rapid = n_rapid,
                  rg_rate = ifelse(n_timed > 0, n_rapid / n_timed, NA_real_))
  )
}

#' The domain's columns while it is off: empty, and no codes.
engagement_off <- function(n) {
  domain(status = rep(NA_character_, n), codes = list(),
         values = list(n_timed = rep(NA_real_, n), n_rapid = rep(NA_real_, n), rg_rate = rep(NA_real_, n)))
}

#' A θ flag while the student omitted or rapid-guessed (WARN or CRIT).
theta_drop_with_disengagement <- function(theta, omit, engagement) {
  flagged <- function(result) result$status %in% c(CRIT, WARN)
  flagged(theta) & (flagged(omit) | flagged(engagement))
}

# -- levels and the whole table (docs/metrics.md: Student level) -------------------------------------------------------

#' Per student: the codes that hold, sorted by code point, joined with ';' (empty when none).
join_codes <- function(codes, n) {
  joined <- character(n)
  for (code in sort(names(codes), method = "radix")) {
    on <- codes[[code]]
    joined[on] <- ifelse(joined[on] == "", code, paste0(joined[on], ";", code))
  }
  joined
}

#' TRUE when the rows are already in lexicographic order of `keys` (the usual case: the snapshot query
#' returns the metrics' order), so sorting can be skipped.
is_sorted_by <- function(frame, keys) {
  if (nrow(frame) < 2L) return(TRUE)
  tied <- rep(TRUE, nrow(frame) - 1L)
  for (key in keys) {
    step <- diff(frame[[key]])
    if (any(tied & step < 0)) return(FALSE)
    tied <- tied & step == 0
    if (!any(tied)) break  # later keys only order rows tied on every key so far
  }
  TRUE
}

compute_metrics <- function(snapshot, thresholds) {
  students <- snapshot$students[order(student_id)]
  roster <- students$student_id
  n <- length(roster)

  # Rows of counted students with a valid outcome, in the metrics' order (student, presented_at, item_id,
  # presentation_id); an invalid presentation does not exist for any rule.
  source <- snapshot$presentations
  presentations <- data.table::setDT(list(
    pos = match(source$student_id, roster), oc = match(source$outcome, VALID_OUTCOMES),
    session_id = source$session_id, item_id = source$item_id, presented_at = source$presented_at,
    presentation_id = source$presentation_id, a = source$a, b = source$b, c = source$c,
    n_options = source$n_options, item_known = source$item_known, response_time_ms = source$response_time_ms))
  valid <- !is.na(presentations$pos) & !is.na(presentations$oc)
  if (!all(valid)) presentations <- presentations[valid]
  order_keys <- c("pos", "presented_at", "item_id", "presentation_id")
  if (!is_sorted_by(presentations, order_keys)) data.table::setorderv(presentations, order_keys)

  theta <- snapshot$theta[, list(pos = match(student_id, roster), estimate_id, estimated_at, theta, se)]
  attendance <- snapshot$attendance[, list(pos = match(student_id, roster), school_date, status)]

  theta_result <- theta_domain(theta, n, snapshot$window, thresholds$theta)
  omit_result <- omit_domain(presentations, n, thresholds$omit)
  guess_result <- guess_domain(guess_items(presentations), n, theta_result$theta_ref$theta,
                               theta_result$theta_ref$se, thresholds$guess, thresholds$irt$D)
  attendance_result <- attendance_domain(students, snapshot$school_days, attendance, n, snapshot$window,
                                         thresholds$attendance)
  results <- list(theta = theta_result, omit = omit_result, guess = guess_result, attendance = attendance_result)
  annotations <- list()
  if (isTRUE(thresholds$engagement$enabled)) {
    if (is.null(snapshot$item_times))
      stop(sprintf(paste("the ENGAGEMENT domain is on (engagement.enabled) but snapshot folder %s has no %s;",
                         "materialise `snapshot` again for this partition, or set engagement.enabled: false"),
                   snapshot$dir, paste(ITEM_TIMES_TABLE, "table")), call. = FALSE)
    results$engagement <- engagement_domain(presentations, snapshot$item_times, n, thresholds$engagement)
    annotations$THETA_DROP_WITH_DISENGAGEMENT <- theta_drop_with_disengagement(theta_result, omit_result,
                                                                                results$engagement)
  }

  statuses <- lapply(results, `[[`, "status")
  any_status <- function(value) Reduce(`|`, lapply(statuses, `==`, value))
  evaluated <- Reduce(`+`, lapply(statuses, function(s) as.integer(s != INSUFFICIENT)))
  level <- data.table::fifelse(any_status(CRIT), CRIT, data.table::fifelse(
    any_status(WARN), WARN, data.table::fifelse(evaluated > 0L, OK, LEVEL_INSUFFICIENT)))
  no_activity <- (omit_result$values$n_presented + omit_result$values$n_not_reached) == 0
  if (is.null(results$engagement)) results$engagement <- engagement_off(n)
  codes <- c(list(NO_ACTIVITY_14D = no_activity), annotations,
             unlist(lapply(unname(results), `[[`, "codes"), recursive = FALSE))
  unknown <- setdiff(names(codes), REASON_CODES)
  if (length(unknown))
    stop(sprintf("reason code(s) %s are not in r/vocabulary.json", paste(unknown, collapse = ", ")), call. = FALSE)

  frame <- data.table::data.table(
    student_id = students$student_id, display_name = students$display_name, class_name = students$class_name,
    level = level, coverage = evaluated / length(statuses), reason_codes = join_codes(codes, n)
  )
  for (name in names(results)) data.table::set(frame, j = paste0(name, "_status"), value = results[[name]]$status)
  for (result in results) for (name in names(result$values)) data.table::set(frame, j = name, value = result$values[[name]])
  data.table::setcolorder(frame, STUDENT_COLUMNS)
  frame[]
}

# -- output -----------------------------------------------------------------------------------------------

#' Doubles with 17 significant digits (exact when read back), integers as integers, NULL as an empty cell.
format_column <- function(values, name) {
  if (name %in% TEXT_COLUMNS) return(values)
  out <- if (name %in% INTEGER_COLUMNS) sprintf("%.0f", as.double(values)) else sprintf("%.17g", values)
  out[is.infinite(values)] <- ifelse(values[is.infinite(values)] > 0, "inf", "-inf")
  out[is.na(values)] <- NA_character_
  out
}

write_result <- function(frame, path) {
  out <- data.table::copy(frame)
  for (name in names(out)) data.table::set(out, j = name, value = format_column(out[[name]], name))
  tmp <- paste0(path, ".tmp")
  data.table::fwrite(out, tmp, na = "", eol = "\n")
  if (!file.rename(tmp, path)) stop(sprintf("could not write %s", path), call. = FALSE)
  invisible(path)
}

# -- command line -----------------------------------------------------------------------------------------

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1L]))) else getwd()
}

run <- function(args) {
  if (length(args) != 3L)
    stop("usage: Rscript compute_metrics.R <snapshot_dir> <thresholds.yaml> <out.csv>", call. = FALSE)
  clock <- function() proc.time()[["elapsed"]]
  started <- clock()
  thresholds <- read_thresholds(args[[2L]])
  snapshot <- read_snapshot(args[[1L]])
  read_at <- clock()
  frame <- compute_metrics(snapshot, thresholds)
  computed_at <- clock()
  write_result(frame, args[[3L]])
  list(frame = frame, thresholds = thresholds, tenant = snapshot$window$tenant,
       seconds = c(read = read_at - started, metrics = computed_at - read_at, write = clock() - computed_at))
}

main <- function() {
  args <- commandArgs(trailingOnly = TRUE)
  started <- proc.time()[["elapsed"]]
  pipes <- NULL
  fail <- function(message) {
    if (!is.null(pipes)) {
      pipes$log(message, "ERROR")
      pipes$close(exception = message)
    }
    cat("compute_metrics.R: ", message, "\n", sep = "", file = stderr())
    quit(save = "no", status = 1L)
  }
  missing <- missing_packages()
  if (length(missing)) {
    if (nzchar(Sys.getenv("DAGSTER_PIPES_CONTEXT")) && !"jsonlite" %in% missing) {
      source(file.path(script_dir(), "pipes.R"), local = TRUE)
      pipes <- tryCatch(open_dagster_pipes(), error = function(e) NULL)
    }
    fail(paste(vapply(missing, package_message, ""), collapse = "; "))
  }
  suppressPackageStartupMessages(library(data.table))
  tryCatch(load_vocabulary(), error = function(e) fail(conditionMessage(e)))
  if (nzchar(Sys.getenv("DAGSTER_PIPES_CONTEXT"))) {
    source(file.path(script_dir(), "pipes.R"), local = TRUE)
    pipes <- tryCatch(open_dagster_pipes(), error = function(e) {
      cat("compute_metrics.R: ", conditionMessage(e), "\n", sep = "", file = stderr())
      quit(save = "no", status = 1L)
    })
  }
  result <- tryCatch(run(args), error = function(e) fail(conditionMessage(e)))
  seconds <- proc.time()[["elapsed"]] - started
  frame <- result$frame
  summary <- sprintf("computed %d students in %.2f s (read %.2f s, metrics %.2f s, write %.2f s)", nrow(frame),
                     seconds, result$seconds[["read"]], result$seconds[["metrics"]], result$seconds[["write"]])
  if (is.null(pipes)) {
    cat("compute_metrics.R: ", summary, "\n", sep = "", file = stderr())
    return(invisible(NULL))
  }
  tryCatch({
    pipes$log(summary, "INFO")
    counts <- stats::setNames(lapply(LEVELS, function(l) pipes_int(sum(frame$level == l))), paste0("level/", LEVELS))
    if (length(pipes$asset_keys()) != 1L) {
      # An op, or a step of several assets: there is no single asset to report a materialization for.
      pipes$log(sprintf("not reporting a materialization: the step targets %d assets", length(pipes$asset_keys())))
    } else pipes$report_asset_materialization(c(
      list(students = pipes_int(nrow(frame))),
      counts,
      list(`level/OK (partial)` = pipes_int(sum(frame$level == OK & frame$coverage < 1)),
           profile = pipes_text(result$thresholds$profile),
           engine = pipes_text("r"),
           spec_version = pipes_text(SPEC_VERSION),
           runtime_seconds = pipes_float(round(seconds, 4)))
    ))
    pipes$close()
  }, error = function(e) fail(conditionMessage(e)))
  invisible(NULL)
}

if (sys.nframe() == 0L) main()
