using Crm.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Campaigns;

/// <summary>Saving, changing and deleting reusable templates; each is audited, and a body is validated before it is stored.</summary>
public sealed class CampaignTemplateOperations(CrmDbContext db, UnitOfWork work, AuditLog audit, TemplateValidator validator, TimeProvider clock)
{
    public Task<CampaignTemplate> CreateAsync(string name, string body, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var cleanName = CleanName(name);
        return work.RunAsync(async ct =>
        {
            await validator.ParseAsync(body, ct);
            await RefuseTakenAsync(cleanName, null, ct);
            var now = clock.GetUtcNow();
            var template = new CampaignTemplate { Name = cleanName, Body = body, CreatedAt = now, UpdatedAt = now, CreatedBy = actor.Name ?? actor.Kind.ToString() };
            db.CampaignTemplates.Add(template);
            audit.Record(actor, "template.created", template.Id.ToString(), cleanName);
            return Change.Of(template);
        }, cancellationToken);
    }

    /// <summary>Changes the name, the body or both; null leaves one as it is.</summary>
    public Task<CampaignTemplate> UpdateAsync(Guid id, string? name, string? body, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var cleanName = name is null ? null : CleanName(name);
        return work.RunAsync(async ct =>
        {
            var template = await db.CampaignTemplates.FirstOrDefaultAsync(t => t.Id == id, ct) ?? throw new NotFoundException(nameof(CampaignTemplate), id);
            if (body is not null)
            {
                await validator.ParseAsync(body, ct);
                template.Body = body;
            }

            if (cleanName is not null)
            {
                await RefuseTakenAsync(cleanName, id, ct);
                template.Name = cleanName;
            }

            template.UpdatedAt = clock.GetUtcNow();
            audit.Record(actor, "template.updated", id.ToString(), template.Name);
            return Change.Of(template);
        }, cancellationToken);
    }

    public Task<CampaignTemplate> DeleteAsync(Guid id, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(async ct =>
        {
            var template = await db.CampaignTemplates.FirstOrDefaultAsync(t => t.Id == id, ct) ?? throw new NotFoundException(nameof(CampaignTemplate), id);
            db.CampaignTemplates.Remove(template);
            audit.Record(actor, "template.deleted", id.ToString(), template.Name);
            return Change.Of(template);
        }, cancellationToken);
    }

    private async Task RefuseTakenAsync(string name, Guid? self, CancellationToken cancellationToken)
    {
        // A create racing this one loses on the unique index; the unit of work runs it again and it ends here.
        var existing = await db.CampaignTemplates.Where(t => t.Name == name && t.Id != self).Select(t => (Guid?)t.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing is { } other)
        {
            throw new DuplicateTemplateNameException(name, other);
        }
    }

    private static string CleanName(string name) => name?.Trim() is { Length: > 0 and <= CampaignTemplate.MaxNameLength } clean
        ? clean
        : throw new InvalidFieldException("name", $"A template needs a name, of at most {CampaignTemplate.MaxNameLength} characters.");
}
