# A small Dagster Pipes client in R (protocol "0.1", as dagster_pipes/__init__.py speaks it).
#
# The orchestration side (PipesSubprocessClient with its default PipesTempFileContextInjector and
# PipesTempFileMessageReader) sets two environment variables, each base64(zlib(JSON)):
#   DAGSTER_PIPES_CONTEXT   {"path": <context JSON file>}        (or {"data": {...}} inline)
#   DAGSTER_PIPES_MESSAGES  {"path": <messages file to append>}  (or {"stdio": "stderr"|"stdout"})
# Messages are JSON lines {"__dagster_pipes_version": "0.1", "method": ..., "params": ...} with the methods
# opened, log, report_asset_materialization and closed.
#
#   pipes <- open_dagster_pipes()                 # writes `opened`
#   pipes$log("computed 300 students in 0.4 s")   # level INFO by default
#   pipes$report_asset_materialization(list(students = pipes_int(300), engine = pipes_text("r")))
#   pipes$close()                                 # or pipes$close(exception = "what went wrong")
#
# Needs only jsonlite (Debian: r-cran-jsonlite).

PIPES_PROTOCOL_VERSION <- "0.1"

#' base64 → zlib → JSON, as dagster_pipes.decode_param. memDecompress(type = "gzip") reads zlib streams.
decode_pipes_param <- function(value) {
  raw <- memDecompress(jsonlite::base64_dec(value), type = "gzip")
  text <- rawToChar(raw)
  Encoding(text) <- "UTF-8"
  jsonlite::fromJSON(text, simplifyVector = FALSE)
}

#' Typed metadata values ({raw_value, type}), so Dagster does not have to guess.
pipes_int <- function(value) list(raw_value = as.integer(value), type = "int")
pipes_float <- function(value) list(raw_value = as.double(value), type = "float")
pipes_text <- function(value) list(raw_value = as.character(value), type = "text")
pipes_bool <- function(value) list(raw_value = isTRUE(value), type = "bool")

.pipes_empty_object <- function() structure(list(), names = character(0))

.pipes_json <- function(message) {
  # always_decimal: a double is written 1.0, never 1 (Dagster's float metadata rejects an int).
  as.character(jsonlite::toJSON(message, auto_unbox = TRUE, null = "null", na = "null", digits = NA,
                                always_decimal = TRUE, force = TRUE))
}

open_dagster_pipes <- function(env_context = Sys.getenv("DAGSTER_PIPES_CONTEXT"),
                               env_messages = Sys.getenv("DAGSTER_PIPES_MESSAGES")) {
  if (!nzchar(env_context)) stop("DAGSTER_PIPES_CONTEXT is not set: not running under Dagster Pipes", call. = FALSE)
  if (!nzchar(env_messages)) stop("DAGSTER_PIPES_MESSAGES is not set", call. = FALSE)
  context_params <- decode_pipes_param(env_context)
  message_params <- decode_pipes_param(env_messages)

  context <- if (!is.null(context_params$path)) {
    jsonlite::fromJSON(context_params$path, simplifyVector = FALSE)
  } else if (!is.null(context_params$data)) {
    context_params$data
  } else {
    stop(sprintf("DAGSTER_PIPES_CONTEXT: expected key \"path\" or \"data\", got %s",
                 paste(names(context_params), collapse = ", ")), call. = FALSE)
  }

  write_line <- if (!is.null(message_params$path)) {
    path <- message_params$path
    function(line) {
      con <- file(path, open = "ab")
      on.exit(close(con))
      writeBin(charToRaw(paste0(enc2utf8(line), "\n")), con)
    }
  } else if (!is.null(message_params$stdio) && message_params$stdio %in% c("stderr", "stdout")) {
    stream <- if (message_params$stdio == "stderr") stderr() else stdout()
    function(line) { cat(line, "\n", sep = "", file = stream); flush(stream) }
  } else {
    stop(sprintf("DAGSTER_PIPES_MESSAGES: expected key \"path\" or \"stdio\", got %s",
                 paste(names(message_params), collapse = ", ")), call. = FALSE)
  }

  closed <- FALSE
  materialized <- character(0)
  write_message <- function(method, params) {
    if (closed) stop("cannot send a Pipes message after the pipes context is closed", call. = FALSE)
    write_line(.pipes_json(list(`__dagster_pipes_version` = PIPES_PROTOCOL_VERSION, method = method,
                                params = params)))
  }

  resolve_asset_key <- function(asset_key) {
    keys <- unlist(context$asset_keys)
    if (is.null(asset_key)) {
      if (length(keys) != 1L)
        stop("report_asset_materialization needs an asset_key: the step targets ",
             if (length(keys)) "several assets" else "no asset", call. = FALSE)
      return(keys[[1L]])
    }
    if (length(keys) && !asset_key %in% keys)
      stop(sprintf("invalid asset key '%s': expected one of %s", asset_key, paste(keys, collapse = ", ")),
           call. = FALSE)
    asset_key
  }

  write_message("opened", list(extras = .pipes_empty_object()))

  list(
    context = context,
    extras = function() context$extras,
    partition_key = function() context$partition_key,
    asset_keys = function() unlist(context$asset_keys),
    log = function(message, level = "INFO") {
      write_message("log", list(message = as.character(message), level = toupper(level)))
    },
    report_asset_materialization = function(metadata = NULL, data_version = NULL, asset_key = NULL) {
      key <- resolve_asset_key(asset_key)
      if (key %in% materialized)
        stop(sprintf("asset '%s' has already been materialized in this Pipes session", key), call. = FALSE)
      if (!is.null(metadata)) {
        # Raw values become {raw_value, type: "__infer__"}, as in the Python client.
        metadata <- lapply(metadata, function(value) {
          if (is.list(value) && setequal(names(value), c("raw_value", "type"))) value
          else list(raw_value = value, type = "__infer__")
        })
      }
      write_message("report_asset_materialization",
                    list(asset_key = key, data_version = data_version, metadata = metadata))
      materialized <<- c(materialized, key)
    },
    close = function(exception = NULL, stack = character(0), name = "RError") {
      if (closed) return(invisible(NULL))
      params <- if (is.null(exception)) .pipes_empty_object() else list(exception = list(
        message = as.character(exception), stack = I(as.character(stack)), name = name, cause = NULL,
        context = NULL))
      write_message("closed", params)
      closed <<- TRUE
      invisible(NULL)
    },
    is_closed = function() closed
  )
}
