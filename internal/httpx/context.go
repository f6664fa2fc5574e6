package httpx

import (
	"context"
	"log/slog"

	"inframap/internal/maint"
)

type (
	requestIDKey struct{}
	loggerKey    struct{}
	viewerKey    struct{}
)

// WithRequestID returns ctx carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithLogger returns ctx carrying the logger the problem writer logs to.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// LoggerFrom returns the request's logger, or slog's default when no logger
// is in the context.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// WithViewer returns ctx carrying who is asking, as authentication found.
func WithViewer(ctx context.Context, v maint.Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns who is asking; residents are the zero Viewer.
func ViewerFrom(ctx context.Context) maint.Viewer {
	v, _ := ctx.Value(viewerKey{}).(maint.Viewer)
	return v
}

// ContextHandler is a slog.Handler that adds the request id of the context
// to every record logged with one, so every line of a request carries it.
type ContextHandler struct{ slog.Handler }

// Handle adds request_id and passes the record on.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h ContextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ContextHandler{h.Handler.WithAttrs(as)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{h.Handler.WithGroup(name)}
}
