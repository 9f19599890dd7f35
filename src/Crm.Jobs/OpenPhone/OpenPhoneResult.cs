using System.Diagnostics.CodeAnalysis;

namespace Crm.Jobs.OpenPhone;

/// <summary>What a call to OpenPhone gave: a value, or a typed error. HTTP error statuses never throw.</summary>
public sealed class OpenPhoneResult<T>
{
    private OpenPhoneResult(T? value, OpenPhoneError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public OpenPhoneError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    public static OpenPhoneResult<T> Ok(T value) => new(value, null);

    public static OpenPhoneResult<T> Fail(OpenPhoneError error) => new(default, error);
}

/// <summary>
/// OpenPhone's error body (<c>message</c>, <c>code</c>, <c>status</c>, <c>errors[]</c>, openphone-api.md §4.6), or a failure
/// without one. <see cref="Status"/> is 0 when no answer came (timeout, dropped connection, open circuit).
/// </summary>
public sealed record OpenPhoneError(int Status, string? Code, string Message, bool Transient, TimeSpan? RetryAfter, IReadOnlyList<OpenPhoneFieldError> Errors)
{
    /// <summary>The <see cref="Code"/> of a request never made because the circuit is open.</summary>
    public const string CircuitOpenCode = "circuit-open";

    /// <summary>
    /// OpenPhone may have carried the request out: a 5xx, or no readable answer at all (a timeout, a dropped connection,
    /// an unreadable success). A send that failed so must be looked for before it is made again. A 4xx or an open circuit
    /// means nothing happened.
    /// </summary>
    public bool MayHaveLanded => Status >= 500 || (Status == 0 && Code != CircuitOpenCode);

    /// <summary>429, 5xx and no answer at all: worth trying again later. Other 4xx are permanent.</summary>
    public static bool IsTransientStatus(int status) => status is 0 or 408 or 429 or >= 500;
}

/// <summary>One entry of <c>errors[]</c>: <c>{path, message}</c> or <c>{key, reason}</c>.</summary>
public sealed record OpenPhoneFieldError(string? Path, string? Message);
