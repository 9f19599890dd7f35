namespace Crm.GraphQL.Server.Execution;

/// <summary>
/// Implemented by the host's access errors. An operation refused only with these is answered 401 (some caller was
/// unknown) or 403 over HTTP, rather than 400, and is never turned into an event stream.
/// </summary>
internal interface IAccessDeniedError
{
    /// <summary>False: the caller is anonymous, and signing in may help (401).</summary>
    bool Authenticated { get; }
}
