namespace Crm.Data.Compliance;

/// <summary>
/// A reply the detector read as a possible opt-out (medium confidence): staff decide. While it is pending, every marketing
/// text to the contact is held; conversation texts go on.
/// </summary>
public sealed class OptOutReview
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid ContactId { get; init; }

    /// <summary>The incoming text that raised it.</summary>
    public Guid ActivityId { get; init; }

    public double Score { get; init; }

    /// <summary>The detector's rule, in words staff can read.</summary>
    public required string Reason { get; init; }

    public OptOutReviewStatus Status { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public string? ResolvedBy { get; set; }
}

public enum OptOutReviewStatus
{
    Pending,

    /// <summary>Staff read it as an opt-out: the contact is opted out (source REVIEW) and gets one confirmation.</summary>
    OptedOut,

    /// <summary>Staff read it as not an opt-out: nothing changes, marketing resumes.</summary>
    Kept,
}
