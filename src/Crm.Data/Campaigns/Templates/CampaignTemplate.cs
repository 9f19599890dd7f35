namespace Crm.Data.Campaigns;

/// <summary>A saved message body that campaigns and follow-ups start from; its variables are checked when it is saved.</summary>
public sealed class CampaignTemplate
{
    public const int MaxNameLength = 200;

    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>Unique, as staff pick templates by it.</summary>
    public required string Name { get; set; }

    public required string Body { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The user or API key that created it, as named then.</summary>
    public string CreatedBy { get; init; } = string.Empty;
}

/// <summary>Another template already has this name.</summary>
public sealed class DuplicateTemplateNameException(string name, Guid existingTemplateId)
    : DomainException($"A template named '{name}' already exists.")
{
    public string Name { get; } = name;

    public Guid ExistingTemplateId { get; } = existingTemplateId;
}
