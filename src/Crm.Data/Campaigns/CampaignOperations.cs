using System.Security.Cryptography;
using Crm.Data.Audit;
using Crm.Data.Contacts;
using Crm.Data.Events;
using Crm.Data.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Campaigns;

/// <summary>A campaign's settings as given; on an update, a null leaves the setting as it is.</summary>
public sealed record CampaignDraft(
    string? Name = null,
    string? AudienceFilter = null,
    Guid? ListId = null,
    Guid? PhoneNumberId = null,
    bool? ConsentAttested = null,
    int? DailyCap = null,
    int? PerMinute = null,
    string? WindowStart = null,
    string? WindowEnd = null,
    IReadOnlyList<int>? WindowDays = null,
    IReadOnlyList<VariantDraft>? Variants = null,
    int? MinSample = null,
    double? Confidence = null,
    bool? AutoWinner = null,
    RecurrenceDraft? Recurrence = null,
    IReadOnlyList<FollowUpDraft>? FollowUps = null);

public sealed record VariantDraft(string Body, int Weight = 1);

/// <summary>How a campaign recurs; <see cref="None"/> makes it run once.</summary>
public sealed record RecurrenceDraft(RecurrenceFrequency? Frequency, IReadOnlyList<int> Days, DateTimeOffset? Until, bool IncludePreviouslyTexted)
{
    public static readonly RecurrenceDraft None = new(null, [], null, false);
}

/// <summary>A follow-up step: its text, <paramref name="AfterDays"/> or <paramref name="AfterHours"/> after the text before it.</summary>
public sealed record FollowUpDraft(string Body, int? AfterDays = null, int? AfterHours = null);

/// <summary>
/// A campaign's life: drafts are edited freely; <see cref="StartAsync"/> materializes the recipients, one row per
/// contact, and from then the dispatcher (<see cref="CampaignDispatcher"/>) texts them. Every transition is one unit of
/// work, recorded as a <see cref="CampaignEvent"/> and audited; an illegal one is a <see cref="CampaignStateException"/>.
/// </summary>
public sealed class CampaignOperations(
    CrmDbContext db,
    UnitOfWork work,
    AuditLog audit,
    TimeProvider clock,
    CampaignEligibility eligibility,
    CampaignWriter writer,
    IContactFilterReader filters,
    OutboundOperations outbound,
    TemplateValidator templates,
    IOptions<CampaignOptions> options,
    IOptions<CrmOptions> crm)
{
    public const int MaxVariants = 5;

    public const int MaxFollowUps = 5;

    /// <summary>The longest wait before a follow-up: 60 days.</summary>
    public const int MaxFollowUpHours = 60 * 24;

    private readonly NodaTime.DateTimeZone _businessZone = NodaTime.DateTimeZoneProviders.Tzdb[crm.Value.BusinessTimeZone];

    public Task<Campaign> CreateAsync(CampaignDraft draft, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(async ct =>
        {
            var defaults = options.Value;
            var now = clock.GetUtcNow();
            var campaign = new Campaign
            {
                Name = string.Empty,
                WindowStart = defaults.WindowStart,
                WindowEnd = defaults.WindowEnd,
                WindowDays = [.. defaults.Days()],
                PerMinute = defaults.PerMinute,
                MinSample = defaults.MinSample,
                Confidence = defaults.Confidence,
                CreatedAt = now,
                CreatedBy = actor.Name ?? actor.Kind.ToString(),
            };
            await ApplyAsync(campaign, draft with { Name = draft.Name ?? string.Empty, Variants = draft.Variants ?? [], FollowUps = draft.FollowUps ?? [] }, ct);
            db.Campaigns.Add(campaign);
            return Record(campaign, actor, "created", null);
        }, cancellationToken);
    }

    /// <summary>Changes a draft, a scheduled or a paused campaign; a running one must be paused first, an ended one duplicated.</summary>
    public Task<Campaign> UpdateAsync(Guid id, CampaignDraft draft, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return work.RunAsync(async ct =>
        {
            var campaign = await LockAsync(id, ct);
            Require(campaign, "edit", CampaignStatus.Draft, CampaignStatus.Scheduled, CampaignStatus.Paused);
            if (campaign.StartedAt is not null && (draft.AudienceFilter is not null || draft.ListId is not null
                || (draft.Variants is { } variants && variants.Count != campaign.Variants.Count)))
            {
                throw new CampaignStateException(campaign.Id, campaign.Status, "edit",
                    "A started campaign keeps its audience and its variants: change the variants' texts, or duplicate it.");
            }

            if (campaign.StartedAt is not null && draft.FollowUps is { } steps && !steps.Select(Hours).SequenceEqual(campaign.FollowUps.OrderBy(f => f.Number).Select(f => f.DelayHours)))
            {
                throw new CampaignStateException(campaign.Id, campaign.Status, "edit",
                    "A started campaign keeps its follow-ups and their delays: change their texts, or duplicate it.");
            }

            if (draft.Recurrence is not null && (campaign.StartedAt is not null || campaign.ParentId is not null))
            {
                throw new CampaignStateException(campaign.Id, campaign.Status, "edit",
                    "Only a campaign that has not started recurs: duplicate it and make the copy recur.");
            }

            await ApplyAsync(campaign, draft, ct);
            return Record(campaign, actor, "updated", null);
        }, cancellationToken);
    }

    /// <summary>A new draft with the same settings and variants.</summary>
    public Task<Campaign> DuplicateAsync(Guid id, Actor actor, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var source = await db.Campaigns.AsNoTracking().Include(c => c.Variants).Include(c => c.FollowUps).AsSplitQuery().FirstOrDefaultAsync(c => c.Id == id, ct)
            ?? throw new NotFoundException(nameof(Campaign), id);
        var copy = Copy(source, $"{source.Name} (copy)", actor.Name ?? actor.Kind.ToString());
        (copy.Recurrence, copy.RecurrenceDays, copy.RecurrenceUntil, copy.IncludePreviouslyTexted) = (source.Recurrence, [.. source.RecurrenceDays], source.RecurrenceUntil, source.IncludePreviouslyTexted);
        db.Campaigns.Add(copy);
        return Record(copy, actor, "created", $"Duplicated from {source.Name}.");
    }, cancellationToken);

    /// <summary>Only a draft: a campaign that texted anyone keeps its record.</summary>
    public Task<Campaign> DeleteAsync(Guid id, Actor actor, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var campaign = await LockAsync(id, ct);
        Require(campaign, "delete", CampaignStatus.Draft);
        // A recurring campaign back in DRAFT after a failed run: its runs stay, as campaigns of their own.
        await db.Campaigns.Where(c => c.ParentId == campaign.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.ParentId, (Guid?)null), ct);
        db.Campaigns.Remove(campaign);
        audit.Record(actor, "campaign.deleted", campaign.Id.ToString(), campaign.Name);
        return Change.Of(campaign, new CampaignUpdated(campaign.Id));
    }, cancellationToken);

    public Task<Campaign> ScheduleAsync(Guid id, DateTimeOffset startAt, string? timeZone, Actor actor, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var campaign = await LockAsync(id, ct);
        Require(campaign, "schedule", CampaignStatus.Draft, CampaignStatus.Scheduled);
        if (startAt <= clock.GetUtcNow())
        {
            throw new InvalidFieldException("startAt", "The start time has passed: start the campaign now instead.");
        }

        if (timeZone is not null && NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) is null)
        {
            throw new InvalidFieldException("timeZone", $"'{timeZone}' is not an IANA time zone.");
        }

        ReadyToStart(campaign);
        campaign.StartAt = startAt;
        campaign.TimeZone = timeZone;
        if (campaign.Recurrence is not null)
        {
            campaign.RecurrenceAnchor = startAt;
            campaign.StartAt = FirstRun(campaign, startAt);
        }

        campaign.Status = CampaignStatus.Scheduled;
        return Record(campaign, actor, "scheduled", campaign.StartAt.Value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }, cancellationToken);

    /// <summary>
    /// Evaluates the audience now and writes a recipient per contact, each with its variant and, for those the rules
    /// exclude, the reason; then RUNNING. One transaction: a start that fails leaves the campaign as it was.
    /// </summary>
    public Task<Campaign> StartAsync(Guid id, Actor actor, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var campaign = await LockAsync(id, ct);
        Require(campaign, "start", CampaignStatus.Draft, CampaignStatus.Scheduled);
        if (campaign.Recurrence is not null)
        {
            throw new CampaignStateException(campaign.Id, campaign.Status, "start",
                "A recurring campaign runs on its schedule, each run a campaign of its own: schedule it.");
        }

        return await LaunchAsync(campaign, actor, ct);
    }, cancellationToken);

    /// <summary>
    /// A recurring campaign's due run: a child campaign with its settings, variants and follow-ups, named after the run's
    /// date and started now with a fresh audience; the parent moves on to its next run, or is COMPLETED after its last. A
    /// missed run (no instance was up) runs once, late; the ones it hid are not made up. Null when no run is due.
    /// </summary>
    public Task<Campaign?> RunDueAsync(Guid id, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var parent = await LockAsync(id, ct);
        var now = clock.GetUtcNow();
        if (parent is not { Status: CampaignStatus.Scheduled, Recurrence: not null, StartAt: { } runAt } || runAt > now)
        {
            return Change.Of<Campaign?>(null);
        }

        var rule = RecurrenceRule.Of(parent, _businessZone);
        var run = Copy(parent, $"{parent.Name} — {NodaTime.Text.LocalDatePattern.Iso.Format(rule.DateOf(runAt))}", parent.CreatedBy);
        (run.ParentId, run.StartAt, run.TimeZone, run.IncludePreviouslyTexted) = (parent.Id, runAt, parent.TimeZone, parent.IncludePreviouslyTexted);
        db.Campaigns.Add(run);
        Record(run, Actor.System, "created", $"A run of {parent.Name}.");
        // The run's rows first: its recipients are copied in straight after, outside the change tracker.
        await db.SaveChangesAsync(ct);
        var started = await LaunchAsync(run, Actor.System, ct);
        parent.StartAt = rule.Next(now);
        if (parent.StartAt is null)
        {
            parent.Status = CampaignStatus.Completed;
            parent.FinishedAt = now;
        }

        var recorded = Record(parent, Actor.System, parent.StartAt is null ? "completed" : "run", $"{run.Name} started.");
        return Change.Of<Campaign?>(started.Value, [.. started.Events, .. recorded.Events]);
    }, cancellationToken);

    /// <summary>Evaluates the audience now and writes its recipients (see <see cref="StartAsync"/>); then RUNNING.</summary>
    private async Task<Change<Campaign>> LaunchAsync(Campaign campaign, Actor actor, CancellationToken ct)
    {
        ReadyToStart(campaign);
        // Fixed at start: the line's daily cap counts this campaign's texts from now on.
        campaign.PhoneNumberId = (await outbound.LineAsync(campaign.PhoneNumberId, ct)).Id;
        var now = clock.GetUtcNow();
        var audience = await AudienceAsync(campaign.AudienceFilter, campaign.ListId, ct);
        var ids = await audience.Select(c => c.Id).ToArrayAsync(ct);
        // The send order is the recipients' id order (time-ordered ids, made as they are added below). Shuffled, so that when
        // the daily cap spreads a campaign over days no group of contacts (the oldest, one area code) always comes first or
        // last: the audience across chunks here, and each chunk's members, which the database returns in its own order.
        Random.Shared.Shuffle(ids);
        var variants = campaign.Variants.OrderBy(v => v.Label, StringComparer.Ordinal).ToList();
        var texted = campaign.ParentId is { } parentId && !campaign.IncludePreviouslyTexted ? await TextedByRunsAsync(parentId, ct) : [];
        var recipients = new List<CampaignRecipient>(ids.Length);
        foreach (var chunk in ids.Chunk(CampaignEligibility.Chunk))
        {
            var members = await CampaignEligibility.Members(db.Contacts.AsNoTracking().Where(c => chunk.Contains(c.Id))).ToArrayAsync(ct);
            Random.Shared.Shuffle(members);
            var excluded = await eligibility.ExcludedAsync(members, campaign.ConsentAttested, ct);
            foreach (var id in texted.Intersect(chunk))
            {
                excluded[id] = SkipReason.AlreadyTexted;
            }

            recipients.AddRange(members.Select(m => new CampaignRecipient
            {
                CampaignId = campaign.Id,
                ContactId = m.Id,
                VariantId = Assign(campaign.Id, m.Id, variants).Id,
                State = excluded.ContainsKey(m.Id) ? RecipientState.Skipped : RecipientState.Pending,
                SkipReason = excluded.TryGetValue(m.Id, out var reason) ? reason : null,
                NextTryAt = now,
            }));
        }

        await writer.AddRecipientsAsync(recipients, ct);
        campaign.Status = CampaignStatus.Running;
        campaign.StartedAt = now;
        return Record(campaign, actor, "started", $"{recipients.Count} recipients, {recipients.Count(r => r.State == RecipientState.Skipped)} excluded.");
    }

    /// <summary>
    /// Contacts a run of the parent texted, or may still text (it is running or paused and has not skipped them): its
    /// next run does not text them again unless the parent includes them. A run being launched has no recipients yet.
    /// </summary>
    private async Task<HashSet<Guid>> TextedByRunsAsync(Guid parentId, CancellationToken cancellationToken) =>
        [.. await (
            from r in db.CampaignRecipients
            join c in db.Campaigns on r.CampaignId equals c.Id
            where c.ParentId == parentId
                && (r.Activity!.SentAt != null || (r.State != RecipientState.Skipped && (c.Status == CampaignStatus.Running || c.Status == CampaignStatus.Paused)))
            select r.ContactId).Distinct().ToListAsync(cancellationToken)];

    /// <summary>A scheduled campaign that could not start goes back to DRAFT, with the reason on its history.</summary>
    public Task<Campaign> UnscheduleAsync(Guid id, string reason, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var campaign = await LockAsync(id, ct);
        Require(campaign, "unschedule", CampaignStatus.Scheduled);
        campaign.Status = CampaignStatus.Draft;
        return Record(campaign, Actor.System, "start-failed", Clip(reason, 1000));
    }, cancellationToken);

    public Task<Campaign> PauseAsync(Guid id, Actor actor, CancellationToken cancellationToken) =>
        MoveAsync(id, actor, "pause", "paused", CampaignStatus.Paused, [CampaignStatus.Running], cancellationToken);

    public Task<Campaign> ResumeAsync(Guid id, Actor actor, CancellationToken cancellationToken) =>
        MoveAsync(id, actor, "resume", "resumed", CampaignStatus.Running, [CampaignStatus.Paused], cancellationToken);

    /// <summary>Ends it for good; texts queued for the coming turns and not yet sent are cancelled.</summary>
    public Task<Campaign> CancelAsync(Guid id, Actor actor, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var campaign = await LockAsync(id, ct);
        Require(campaign, "cancel", CampaignStatus.Draft, CampaignStatus.Scheduled, CampaignStatus.Running, CampaignStatus.Paused);
        var texts = db.CampaignRecipients.Where(r => r.CampaignId == campaign.Id).Select(r => r.ActivityId)
            .Concat(db.CampaignFollowUps.Where(f => f.CampaignId == campaign.Id).Select(f => f.ActivityId));
        var waiting = await db.OutboundMessages.Where(o => texts.Contains(o.ActivityId) && o.State == OutboundState.Queued && !o.MaybeSent)
            .Select(o => o.ActivityId).ToListAsync(ct);
        foreach (var activityId in waiting)
        {
            await outbound.CancelAsync(activityId, ct);
        }

        campaign.Status = CampaignStatus.Cancelled;
        campaign.FinishedAt = clock.GetUtcNow();
        return Record(campaign, actor, "cancelled", waiting.Count > 0 ? $"{waiting.Count} queued texts cancelled." : null);
    }, cancellationToken);

    /// <summary>What a preview shows: who would be texted, and who not and why.</summary>
    public async Task<AudiencePreview> PreviewAsync(string? filterJson, Guid? listId, Guid? campaignId, bool consentAttested, int sampleSize, CancellationToken cancellationToken)
    {
        var audience = await AudienceAsync(filterJson, listId, cancellationToken);
        var ids = await audience.Select(c => c.Id).ToListAsync(cancellationToken);
        var texted = campaignId is { } campaign ? await PreviewTextedAsync(campaign, cancellationToken) : [];
        var reasons = new Dictionary<SkipReason, int>();
        var sample = new List<Guid>();
        foreach (var chunk in ids.Chunk(CampaignEligibility.Chunk))
        {
            var members = await CampaignEligibility.Members(db.Contacts.AsNoTracking().Where(c => chunk.Contains(c.Id))).ToListAsync(cancellationToken);
            var excluded = await eligibility.ExcludedAsync(members, consentAttested, cancellationToken);
            foreach (var m in members)
            {
                SkipReason? reason = texted.Contains(m.Id) ? SkipReason.AlreadyTexted : excluded.TryGetValue(m.Id, out var r) ? r : null;
                if (reason is { } found)
                {
                    reasons[found] = reasons.GetValueOrDefault(found) + 1;
                }
                else if (sample.Count < sampleSize)
                {
                    sample.Add(m.Id);
                }
            }
        }

        return new AudiencePreview(ids.Count, ids.Count - reasons.Values.Sum(), sample, reasons);
    }

    /// <summary>Who a preview of the campaign shows as ALREADY_TEXTED: whom it texted, or for a recurring one, whom its next run would skip.</summary>
    private async Task<HashSet<Guid>> PreviewTextedAsync(Guid campaignId, CancellationToken cancellationToken) =>
        await db.Campaigns.AnyAsync(c => c.Id == campaignId && c.Recurrence != null && !c.IncludePreviouslyTexted, cancellationToken)
            ? await TextedByRunsAsync(campaignId, cancellationToken)
            : [.. await db.CampaignRecipients.Where(r => r.CampaignId == campaignId && r.State == RecipientState.Queued).Select(r => r.ContactId).ToListAsync(cancellationToken)];

    /// <summary>The variant a contact gets: a hash of the two ids picks a point among the weights, the same every time.</summary>
    public static CampaignVariant Assign(Guid campaignId, Guid contactId, IReadOnlyList<CampaignVariant> variants)
    {
        ArgumentNullException.ThrowIfNull(variants);
        Span<byte> ids = stackalloc byte[32];
        campaignId.TryWriteBytes(ids[..16]);
        contactId.TryWriteBytes(ids[16..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(ids, hash);
        var point = BitConverter.ToUInt64(hash[..8]) % (ulong)variants.Sum(v => v.Weight);
        foreach (var variant in variants)
        {
            if (point < (ulong)variant.Weight)
            {
                return variant;
            }

            point -= (ulong)variant.Weight;
        }

        return variants[^1];
    }

    private async Task<IQueryable<Contact>> AudienceAsync(string? filterJson, Guid? listId, CancellationToken cancellationToken)
    {
        var contacts = db.Contacts.AsNoTracking();
        if (listId is { } list)
        {
            contacts = contacts.Where(c => db.ContactListMembers.Any(m => m.ListId == list && m.ContactId == c.Id));
        }

        return filterJson is null ? contacts : await filters.ApplyAsync(contacts, filterJson, cancellationToken);
    }

    private async Task ApplyAsync(Campaign campaign, CampaignDraft draft, CancellationToken cancellationToken)
    {
        if (draft.Name is { } name)
        {
            campaign.Name = string.IsNullOrWhiteSpace(name) || name.Trim().Length > 200
                ? throw new InvalidFieldException("name", "A campaign needs a name of at most 200 characters.")
                : name.Trim();
        }

        if (draft.AudienceFilter is { } filter)
        {
            // Refused now rather than at start: the filter must parse.
            await filters.ApplyAsync(db.Contacts, filter, cancellationToken);
            (campaign.AudienceFilter, campaign.ListId) = (filter, draft.ListId);
        }
        else if (draft.ListId is { } list)
        {
            (campaign.AudienceFilter, campaign.ListId) = (null, list);
        }

        if (draft.ListId is { } listId && !await db.ContactLists.AnyAsync(l => l.Id == listId, cancellationToken))
        {
            throw new NotFoundException("ContactList", listId);
        }

        if (draft.PhoneNumberId is { } line)
        {
            campaign.PhoneNumberId = await db.PhoneNumbers.AnyAsync(p => p.Id == line, cancellationToken) ? line : throw new NotFoundException("PhoneNumber", line);
        }

        campaign.ConsentAttested = draft.ConsentAttested ?? campaign.ConsentAttested;
        campaign.DailyCap = draft.DailyCap is { } cap ? Range("dailyCap", cap, 1, 10_000) : campaign.DailyCap;
        campaign.PerMinute = draft.PerMinute is { } rate ? Range("perMinute", rate, 1, 600) : campaign.PerMinute;
        campaign.WindowStart = draft.WindowStart ?? campaign.WindowStart;
        campaign.WindowEnd = draft.WindowEnd ?? campaign.WindowEnd;
        campaign.WindowDays = draft.WindowDays is { } days ? [.. days.Distinct().Order()] : campaign.WindowDays;
        SendWindow.Parse(campaign.WindowStart, campaign.WindowEnd, campaign.WindowDays, NodaTime.DateTimeZone.Utc);
        campaign.MinSample = draft.MinSample is { } sample ? Range("minSample", sample, 10, 100_000) : campaign.MinSample;
        campaign.Confidence = draft.Confidence is { } confidence
            ? confidence is >= 0.5 and < 1 ? confidence : throw new InvalidFieldException("confidence", "The confidence is a share from 0.5 to below 1, such as 0.95.")
            : campaign.Confidence;
        campaign.AutoWinner = draft.AutoWinner ?? campaign.AutoWinner;
        if (draft.Variants is { } variants)
        {
            await SetVariantsAsync(campaign, variants, cancellationToken);
        }

        if (draft.FollowUps is { } followUps)
        {
            await SetFollowUpsAsync(campaign, followUps, cancellationToken);
        }

        if (draft.Recurrence is { } recurrence)
        {
            SetRecurrence(campaign, recurrence);
        }

        campaign.UpdatedAt = clock.GetUtcNow();
    }

    private void SetRecurrence(Campaign campaign, RecurrenceDraft recurrence)
    {
        var days = recurrence.Days.Distinct().Order().ToList();
        if (recurrence.Frequency == RecurrenceFrequency.Weekly && (days.Count == 0 || days.Any(d => d is < 1 or > 7)))
        {
            throw new InvalidFieldException("recurrence.days", "A weekly campaign runs on one or more ISO days: 1 is Monday, 7 Sunday.");
        }

        if (recurrence.Frequency != RecurrenceFrequency.Weekly && days.Count > 0)
        {
            throw new InvalidFieldException("recurrence.days", "Days are for a WEEKLY campaign: a daily one runs every day, a monthly one on its start's day of the month.");
        }

        (campaign.Recurrence, campaign.RecurrenceDays, campaign.RecurrenceUntil, campaign.IncludePreviouslyTexted) =
            (recurrence.Frequency, days, recurrence.Until, recurrence.Frequency is not null && recurrence.IncludePreviouslyTexted);
        if (campaign.Recurrence is null)
        {
            // A scheduled one then starts once, at its next run.
            campaign.RecurrenceAnchor = null;
        }
        else if (campaign.Status == CampaignStatus.Scheduled)
        {
            // A scheduled campaign made to recur, or recurring otherwise: its next run by the new rule.
            campaign.RecurrenceAnchor ??= campaign.StartAt;
            campaign.StartAt = FirstRun(campaign, campaign.StartAt > clock.GetUtcNow() ? campaign.StartAt.Value : clock.GetUtcNow());
        }
    }

    /// <summary>The campaign's first run from <paramref name="from"/> by its rule; refused when the rule's end comes first.</summary>
    private DateTimeOffset FirstRun(Campaign campaign, DateTimeOffset from) =>
        RecurrenceRule.Of(campaign, _businessZone).FirstFrom(from)
            ?? throw new InvalidFieldException("recurrence.until", "The recurrence ends before its first run: no run would start.");

    private async Task SetFollowUpsAsync(Campaign campaign, IReadOnlyList<FollowUpDraft> steps, CancellationToken cancellationToken)
    {
        if (steps.Count > MaxFollowUps)
        {
            throw new InvalidFieldException("followUps", $"A campaign has at most {MaxFollowUps} follow-ups; {steps.Count} were given.");
        }

        for (var i = 0; i < steps.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(steps[i].Body))
            {
                throw new InvalidFieldException($"followUps[{i}]", $"Follow-up {i + 1} has no text.");
            }

            Hours(steps[i], i);
            await templates.ParseAsync(steps[i].Body, cancellationToken);
        }

        // In place by number, as the dispatcher and the recipients' steps know them.
        var existing = campaign.FollowUps.OrderBy(f => f.Number).ToList();
        for (var i = 0; i < steps.Count; i++)
        {
            var step = i < existing.Count ? existing[i] : new FollowUpStep { CampaignId = campaign.Id, Number = i + 1, Body = string.Empty };
            step.Body = steps[i].Body.Trim();
            step.DelayHours = Hours(steps[i], i);
            if (i >= existing.Count)
            {
                campaign.FollowUps.Add(step);
            }
        }

        foreach (var removed in existing.Skip(steps.Count))
        {
            campaign.FollowUps.Remove(removed);
            db.Remove(removed);
        }
    }

    /// <summary>Step <paramref name="index"/>'s delay in hours, from exactly one of its days and hours.</summary>
    private static int Hours(FollowUpDraft step, int index) => step switch
    {
        { AfterDays: { } days, AfterHours: null } => Range($"followUps[{index}].afterDays", days, 1, MaxFollowUpHours / 24) * 24,
        { AfterDays: null, AfterHours: { } hours } => Range($"followUps[{index}].afterHours", hours, 1, MaxFollowUpHours),
        _ => throw new InvalidFieldException($"followUps[{index}]", "Give each follow-up its delay as afterDays or afterHours (one of them)."),
    };

    /// <summary>A new campaign with the settings, variants and follow-ups of <paramref name="source"/>: a duplicate, or a run.</summary>
    private Campaign Copy(Campaign source, string name, string createdBy)
    {
        var now = clock.GetUtcNow();
        var copy = new Campaign
        {
            Name = Clip(name, 200),
            AudienceFilter = source.AudienceFilter,
            ListId = source.ListId,
            PhoneNumberId = source.PhoneNumberId,
            ConsentAttested = source.ConsentAttested,
            DailyCap = source.DailyCap,
            PerMinute = source.PerMinute,
            WindowStart = source.WindowStart,
            WindowEnd = source.WindowEnd,
            WindowDays = [.. source.WindowDays],
            MinSample = source.MinSample,
            Confidence = source.Confidence,
            AutoWinner = source.AutoWinner,
            CreatedAt = now,
            UpdatedAt = now,
            CreatedBy = createdBy,
        };
        copy.Variants = [.. source.Variants.OrderBy(v => v.Label, StringComparer.Ordinal).Select(v => new CampaignVariant { CampaignId = copy.Id, Label = v.Label, Body = v.Body, Weight = v.Weight })];
        copy.FollowUps = [.. source.FollowUps.OrderBy(f => f.Number).Select(f => new FollowUpStep { CampaignId = copy.Id, Number = f.Number, DelayHours = f.DelayHours, Body = f.Body })];
        return copy;
    }

    private async Task SetVariantsAsync(Campaign campaign, IReadOnlyList<VariantDraft> variants, CancellationToken cancellationToken)
    {
        if (variants.Count > MaxVariants)
        {
            throw new InvalidFieldException("variants", $"A campaign has at most {MaxVariants} variants; {variants.Count} were given.");
        }

        for (var i = 0; i < variants.Count; i++)
        {
            var field = $"variants[{i}]";
            if (string.IsNullOrWhiteSpace(variants[i].Body))
            {
                throw new InvalidFieldException(field, $"Variant {Label(i)} has no text.");
            }

            Range($"{field}.weight", variants[i].Weight, 1, 100);
            await templates.ParseAsync(variants[i].Body, cancellationToken);
        }

        // Variants keep their ids (recipients point at them): the n-th given is the n-th there, by label.
        var existing = campaign.Variants.OrderBy(v => v.Label, StringComparer.Ordinal).ToList();
        for (var i = 0; i < variants.Count; i++)
        {
            var variant = i < existing.Count ? existing[i] : new CampaignVariant { CampaignId = campaign.Id, Label = Label(i), Body = string.Empty };
            variant.Body = variants[i].Body.Trim();
            variant.Weight = variants[i].Weight;
            if (i >= existing.Count)
            {
                campaign.Variants.Add(variant);
            }
        }

        foreach (var removed in existing.Skip(variants.Count))
        {
            campaign.Variants.Remove(removed);
            db.Remove(removed);
        }
    }

    /// <summary>What a start needs that a draft may lack.</summary>
    private static void ReadyToStart(Campaign campaign)
    {
        if (campaign.Variants.Count == 0)
        {
            throw new InvalidFieldException("variants", "The campaign has no text yet: give it at least one variant.");
        }

        if (campaign.AudienceFilter is null && campaign.ListId is null)
        {
            throw new InvalidFieldException("audience", "The campaign has no audience yet: give it a contact filter or a list.");
        }
    }

    private Task<Campaign> MoveAsync(Guid id, Actor actor, string action, string kind, CampaignStatus to, CampaignStatus[] from, CancellationToken cancellationToken) =>
        work.RunAsync(async ct =>
        {
            var campaign = await LockAsync(id, ct);
            Require(campaign, action, from);
            campaign.Status = to;
            return Record(campaign, actor, kind, null);
        }, cancellationToken);

    private async Task<Campaign> LockAsync(Guid id, CancellationToken cancellationToken) =>
        await db.LockCampaignAsync(id, cancellationToken) ?? throw new NotFoundException(nameof(Campaign), id);

    private static void Require(Campaign campaign, string action, params CampaignStatus[] allowed)
    {
        if (!allowed.Contains(campaign.Status))
        {
            var names = string.Join(" or ", allowed.Select(s => s.ToString().ToUpperInvariant()));
            throw new CampaignStateException(campaign.Id, campaign.Status, action,
                $"A {campaign.Status.ToString().ToUpperInvariant()} campaign cannot {action}: only a {names} one can.");
        }
    }

    private Change<Campaign> Record(Campaign campaign, Actor actor, string kind, string? detail)
    {
        campaign.UpdatedAt = clock.GetUtcNow();
        db.CampaignEvents.Add(new CampaignEvent { CampaignId = campaign.Id, At = campaign.UpdatedAt, Kind = kind, Detail = detail, Actor = actor.Name ?? actor.Kind.ToString() });
        audit.Record(actor, $"campaign.{kind}", campaign.Id.ToString(), campaign.Name);
        return Change.Of(campaign, new CampaignUpdated(campaign.Id));
    }

    private static int Range(string field, int value, int min, int max) =>
        value >= min && value <= max ? value : throw new InvalidFieldException(field, $"{field} must be from {min} to {max}; {value} was given.");

    private static string Label(int index) => ((char)('A' + index)).ToString();

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..length];
}

/// <param name="Total">Contacts the audience holds.</param>
/// <param name="Eligible">Of them, those the campaign would text.</param>
/// <param name="Sample">Some of the eligible, for staff to check.</param>
/// <param name="Excluded">The others, by reason.</param>
public sealed record AudiencePreview(int Total, int Eligible, IReadOnlyList<Guid> Sample, IReadOnlyDictionary<SkipReason, int> Excluded);

internal static class CampaignLocks
{
    /// <summary>The campaign's row locked, then its variants and follow-ups: PostgreSQL locks no row on the nullable side of the join an Include makes.</summary>
    public static async Task<Campaign?> LockCampaignAsync(this CrmDbContext db, Guid id, CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.ForUpdate().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (campaign is not null)
        {
            await db.Entry(campaign).Collection(c => c.Variants).LoadAsync(cancellationToken);
            await db.Entry(campaign).Collection(c => c.FollowUps).LoadAsync(cancellationToken);
        }

        return campaign;
    }
}
