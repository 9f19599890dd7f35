namespace Crm.GraphQL.Server.Execution;

/// <summary>
/// Implemented by the host: what resolvers read from <c>IResolveFieldContext.UserContext</c>, built once per operation
/// from the request (or a WebSocket's upgrade request, whose user is the socket's principal by then).
/// </summary>
internal interface IUserContextBuilder
{
    Dictionary<string, object?> Build(HttpContext http);
}
