namespace Crm.Data;

/// <summary>A business rule refused the operation; nothing was written.</summary>
/// <remarks>Callers map each subclass to a typed error (GraphQL payload errors, webhook logs).</remarks>
public abstract class DomainException(string message) : Exception(message);

public sealed class InvalidPhoneNumberException(string input, string? message = null)
    : DomainException(message ?? $"'{input}' is not a valid phone number.")
{
    public string Input { get; } = input;
}

/// <summary>A field's value is malformed (email, time zone, …).</summary>
public sealed class InvalidFieldException(string field, string message) : DomainException(message)
{
    public string Field { get; } = field;
}

public sealed class DuplicateContactException(Guid existingContactId, string phone)
    : DomainException($"A contact with phone {phone} already exists.")
{
    public Guid ExistingContactId { get; } = existingContactId;

    public string Phone { get; } = phone;
}

public sealed class NotFoundException(string typeName, Guid id)
    : DomainException($"{typeName} not found.")
{
    public string TypeName { get; } = typeName;

    public Guid Id { get; } = id;
}

/// <summary>The event was processed long ago and its body removed by retention: there is nothing left to process again.</summary>
public sealed class WebhookBodyNotKeptException()
    : DomainException("This event's body is past its retention (Retention:WebhookBodies) and was removed, so it cannot be replayed.");

public sealed class InvalidInvitationException()
    : DomainException("The invitation is unknown, expired or already used.");

public sealed class PasswordRejectedException(IReadOnlyList<string> reasons)
    : DomainException("The password does not meet the policy: " + string.Join(" ", reasons))
{
    public IReadOnlyList<string> Reasons { get; } = reasons;
}

public sealed class DuplicateUserException(string email)
    : DomainException($"A user with email {email} already exists.")
{
    public string Email { get; } = email;
}

/// <summary>Refused so that the system always keeps someone able to manage it.</summary>
public sealed class LastAdminException()
    : DomainException("This would leave no active admin.");

/// <summary>The send gate refused: the contact opted out of texts.</summary>
public sealed class ContactOptedOutException(Guid contactId, DateTimeOffset optedOutAt)
    : DomainException("The contact opted out of texts; nothing is sent to them until they text START.")
{
    public Guid ContactId { get; } = contactId;

    public DateTimeOffset OptedOutAt { get; } = optedOutAt;
}

public sealed class EmptyMessageException()
    : DomainException("A text needs a body: it is empty or only spaces.");

public sealed class MessageTooLongException(int length, int maxLength)
    : DomainException($"A text holds at most {maxLength} characters; this one has {length}.")
{
    public int Length { get; } = length;

    public int MaxLength { get; } = maxLength;
}

/// <summary>The message is not in a state the operation applies to (cancel a sent text, retry a delivered one).</summary>
public sealed class MessageStateException(string status, string message) : DomainException(message)
{
    public string Status { get; } = status;
}

/// <summary>The send gate refused the text for a reason other than an opt-out (no consent on record, no allowed hour).</summary>
public sealed class SendRefusedException(IReadOnlyList<string> reasons)
    : DomainException(string.Join(" ", reasons))
{
    public IReadOnlyList<string> Reasons { get; } = reasons;
}
