using Bogus;
using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.PhoneNumbers;

namespace Crm.Data.Seeding;

/// <summary>A believable 90 days of a concrete-repair business, so the embedded default is worth clicking through.</summary>
internal static class DemoData
{
    private const int ContactCount = 200;
    private const int Days = 90;

    private static readonly string[] AreaCodes = ["617", "508", "781", "978", "857", "339", "413"];
    private static readonly string[] Tags = ["vip", "lead", "customer", "foundation", "driveway", "commercial", "follow-up"];

    private static readonly string[] Inbound =
    [
        "Hi, I have a crack in my basement wall that leaks when it rains. Can someone take a look?",
        "How much does foundation crack repair usually cost?",
        "Is Thursday morning still good for the estimate?",
        "Thanks! The repair looks great.",
        "Can you send me the quote again? I can't find the email.",
        "We noticed water coming in near the bulkhead again.",
        "Do you do driveway crack sealing too?",
        "Running about 10 minutes late, sorry!",
        "Yes, that works for us.",
        "What's the warranty on the injection repair?",
        "STOP sending me promos please",
        "Here's a photo of the crack",
    ];

    private static readonly string[] Outbound =
    [
        "Hi {0}, this is Attack-a-Crack. We can come out Thursday between 9 and 11 for a free estimate. Does that work?",
        "Thanks for reaching out! Most foundation crack injections run $450-$850 depending on length.",
        "Your quote is attached. Let us know if you have any questions.",
        "Our tech is on the way, should be there in about 20 minutes.",
        "All done! The injection needs 24 hours to cure. Lifetime transferable warranty included.",
        "Just following up on the estimate from last week. Any questions we can answer?",
        "Spring special: 10% off crack repair booked before the end of the month.",
        "Got it, thanks {0}. We'll see you then.",
    ];

    private static readonly string[] Summaries =
    [
        "Customer reported a vertical crack in the poured foundation with seepage after heavy rain. Wants an estimate this week.",
        "Caller asked about pricing for driveway crack sealing and whether we service their town.",
        "Follow-up on completed repair; customer satisfied, asked about referral discount.",
        "Homeowner selling the house; needs a transferable warranty letter for the buyer's inspector.",
    ];

    public static async Task<string> SeedAsync(CrmDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var faker = new Faker("en") { Random = new Randomizer(20261126) };
        var now = clock.GetUtcNow();
        var start = now.AddDays(-Days);

        PhoneNumber[] lines =
        [
            new() { OpenPhoneId = "PNdemoMain01", Number = "+16175550100", Name = "Main line" },
            new() { OpenPhoneId = "PNdemoSales2", Number = "+16175550142", Name = "Sales" },
        ];
        db.PhoneNumbers.AddRange(lines);

        var phones = new HashSet<string>();
        var contacts = new List<Contact>(ContactCount);
        for (var i = 0; i < ContactCount; i++)
        {
            var createdAt = start.AddMinutes(faker.Random.Int(0, Days * 24 * 60));
            var unnamed = faker.Random.Bool(0.15f);
            var contact = new Contact
            {
                FirstName = unnamed ? null : faker.Name.FirstName(),
                LastName = unnamed ? null : faker.Name.LastName(),
                Company = faker.Random.Bool(0.2f) ? faker.Company.CompanyName() : null,
                Phone = UniquePhone(faker, phones),
                TimeZone = "America/New_York",
                Address = new Address
                {
                    Street = faker.Address.StreetAddress(),
                    City = faker.PickRandom("Boston", "Quincy", "Braintree", "Worcester", "Lowell", "Newton", "Framingham"),
                    State = "MA",
                    PostalCode = "0" + faker.Random.Int(1000, 2799).ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
                Tags = [.. faker.PickRandom(Tags, faker.Random.Int(0, 2)).Distinct()],
                Source = unnamed ? ContactSource.Webhook : faker.PickRandom(ContactSource.Manual, ContactSource.Csv, ContactSource.OpenPhone),
                CreatedAt = createdAt,
                UpdatedAt = createdAt,
            };
            contact.Email = unnamed || faker.Random.Bool(0.3f) ? null : faker.Internet.Email(contact.FirstName, contact.LastName).ToLowerInvariant();
            contacts.Add(contact);
        }

        db.Contacts.AddRange(contacts);

        var conversations = new List<Conversation>();
        var activities = new List<Activity>();
        foreach (var contact in contacts)
        {
            // A quarter of contacts also talk to the sales line: ~250 conversations for 200 contacts.
            var contactLines = faker.Random.Bool(0.25f) ? lines : [faker.PickRandom(lines)];
            foreach (var line in contactLines)
            {
                var conversation = new Conversation
                {
                    ContactId = contact.Id,
                    PhoneNumberId = line.Id,
                    OpenPhoneConversationId = "CN" + faker.Random.Hexadecimal(32, string.Empty),
                    CreatedAt = contact.CreatedAt,
                    Status = faker.Random.Bool(0.4f) ? ConversationStatus.Done : ConversationStatus.Open,
                };
                conversations.Add(conversation);
                AddTimeline(faker, conversation, contact, line, now, activities);
            }
        }

        db.Conversations.AddRange(conversations);
        db.Activities.AddRange(activities);
        await db.SaveChangesAsync(cancellationToken);
        return $"{lines.Length} phone numbers, {contacts.Count} contacts, {conversations.Count} conversations, {activities.Count} activities";
    }

    private static void AddTimeline(Faker faker, Conversation conversation, Contact contact, PhoneNumber line, DateTimeOffset now, List<Activity> activities)
    {
        // Skewed like real inboxes: most threads are short, a few run long.
        var length = faker.Random.Bool(0.1f) ? faker.Random.Int(30, 60) : faker.Random.Int(2, 12);
        var span = (now - conversation.CreatedAt).TotalMinutes;
        var times = Enumerable.Range(0, length)
            .Select(_ => conversation.CreatedAt.AddMinutes(faker.Random.Double(0, span)))
            .Order()
            .ToList();

        Activity? last = null;
        foreach (var at in times)
        {
            var incoming = faker.Random.Bool(0.55f);
            var activity = faker.Random.Bool(0.15f)
                ? Call(faker, incoming, at)
                : Message(faker, incoming, contact, at);
            activity.ConversationId = conversation.Id;
            activity.ContactId = contact.Id;
            activity.FromNumber = incoming ? contact.Phone : line.Number;
            activity.ToNumbers = [incoming ? line.Number : contact.Phone!];
            activity.OpenPhoneId = "AC" + faker.Random.Hexadecimal(32, string.Empty);
            activities.Add(activity);
            last = activity;
            if (incoming)
            {
                conversation.LastInboundAt = at;
                conversation.UnreadCount = at > now.AddDays(-3) ? conversation.UnreadCount + 1 : 0;
            }
            else
            {
                conversation.UnreadCount = 0;
            }
        }

        conversation.LastActivityAt = last!.OccurredAt;
        conversation.LastActivityId = last.Id;
        conversation.LastActivityKind = last.Kind;
        conversation.LastActivityPreview = ConversationPreview.Of(last);
        if (conversation.UnreadCount > 0)
        {
            conversation.Status = ConversationStatus.Open;
        }
    }

    /// <summary>
    /// The embedded simulator's stand-in media (OpenPhoneMode.SimulatorPrefix + /_simulator/media/), on the page's own
    /// origin: demo pictures show and recordings play, with no request leaving the machine.
    /// </summary>
    private const string Media = "/_openphone/_simulator/media/";

    private static Activity Message(Faker faker, bool incoming, Contact contact, DateTimeOffset at)
    {
        var body = incoming
            ? faker.PickRandom(Inbound)
            : string.Format(System.Globalization.CultureInfo.InvariantCulture, faker.PickRandom(Outbound), contact.FirstName ?? "there");
        var failed = !incoming && faker.Random.Bool(0.03f);
        return new Activity
        {
            Kind = ActivityKind.Message,
            Direction = incoming ? ActivityDirection.Incoming : ActivityDirection.Outgoing,
            Body = body,
            Media = incoming && body.Contains("photo", StringComparison.Ordinal)
                ? [new MediaItem { Url = $"{Media}photo-{faker.Random.Hexadecimal(16, string.Empty)}.svg", Type = "image/svg+xml" }]
                : [],
            Status = incoming ? "received" : failed ? "failed" : "delivered",
            ErrorText = failed ? "Carrier rejected the message (30007)." : null,
            OccurredAt = at,
            CreatedAt = at,
        };
    }

    private static Activity Call(Faker faker, bool incoming, DateTimeOffset at)
    {
        var outcome = faker.Random.WeightedRandom(["answered", "missed", "voicemail"], [0.6f, 0.2f, 0.2f]);
        var call = new Activity
        {
            Kind = ActivityKind.Call,
            Direction = incoming ? ActivityDirection.Incoming : ActivityDirection.Outgoing,
            Status = outcome == "answered" ? "completed" : incoming ? "missed" : "no-answer",
            OccurredAt = at,
            CreatedAt = at,
            CompletedAt = at.AddSeconds(faker.Random.Int(20, 60)),
        };
        if (outcome == "answered")
        {
            var duration = faker.Random.Int(45, 900);
            call.AnsweredAt = at.AddSeconds(faker.Random.Int(2, 15));
            call.CompletedAt = call.AnsweredAt.Value.AddSeconds(duration);
            call.DurationSeconds = duration;
            call.Recordings = [new MediaItem { Url = $"{Media}rec-{faker.Random.Hexadecimal(12, string.Empty)}.wav?seconds={Math.Min(duration, 120)}", Type = "audio/wav", DurationSeconds = duration }];
            call.AiSummary = faker.PickRandom(Summaries);
            call.AiNextSteps = ["Schedule an on-site estimate", "Send the quote by text"];
            call.Transcript =
            [
                new TranscriptLine { Speaker = "Customer", Text = "Hi, I'm calling about a crack in my foundation.", StartSeconds = 0, EndSeconds = 4.2 },
                new TranscriptLine { Speaker = "Attack-a-Crack", Text = "Sure, how long is it and is it letting water in?", StartSeconds = 4.5, EndSeconds = 8.1 },
                new TranscriptLine { Speaker = "Customer", Text = "About four feet, and yes after heavy rain.", StartSeconds = 8.4, EndSeconds = 11.9 },
            ];
        }
        else if (outcome == "voicemail" && incoming)
        {
            var seconds = faker.Random.Int(5, 60);
            call.Voicemail = new MediaItem { Url = $"{Media}vm-{faker.Random.Hexadecimal(12, string.Empty)}.wav?seconds={seconds}", Type = "audio/wav", DurationSeconds = seconds };
            call.AiSummary = "Voicemail: caller asked for a call back about a leaking basement crack.";
        }

        return call;
    }

    private static string UniquePhone(Faker faker, HashSet<string> taken)
    {
        while (true)
        {
            var phone = $"+1{faker.PickRandom(AreaCodes)}{faker.Random.Int(201, 989)}{faker.Random.Int(0, 9999):D4}";
            if (taken.Add(phone))
            {
                return phone;
            }
        }
    }
}
