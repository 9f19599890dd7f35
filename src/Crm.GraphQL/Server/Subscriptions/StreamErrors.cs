using GraphQL;
using GraphQL.Execution;

namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>What a client is told when its event stream ends with an error: the last <c>next</c> before <c>complete</c>.</summary>
internal static class StreamErrors
{
    /// <summary>
    /// An error the stream raised on purpose, with a code (<c>EVENTS_DROPPED</c>), is passed on as it is; anything else
    /// is a failure whose details stay on the server.
    /// </summary>
    public static ExecutionResult ToResult(Exception error) => new()
    {
        Errors = [error is ExecutionError { Code: not null } coded and not UnhandledError ? coded : new ExecutionError("The event stream failed.") { Code = "STREAM_FAILED" }],
    };
}
