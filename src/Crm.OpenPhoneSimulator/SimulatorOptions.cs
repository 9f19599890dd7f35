namespace Crm.OpenPhoneSimulator;

/// <summary>Settings under <c>OpenPhone:Simulator</c>.</summary>
public sealed class SimulatorOptions
{
    public const string Section = "OpenPhone:Simulator";

    /// <summary>The key requests must carry in <c>Authorization</c>; unset: any non-empty key is accepted.</summary>
    public string? ApiKey { get; set; }

    /// <summary>OpenPhone's limit per key: past it, 429 with <c>Retry-After</c>.</summary>
    public int RequestsPerSecond { get; set; } = 10;

    /// <summary>Where signed webhooks go; a relative URL is resolved against the simulator's own address. Unset: none are posted.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Base64 key the webhooks are signed with (legacy <c>openphone-signature</c>).</summary>
    public string? SigningKey { get; set; }

    /// <summary>How long after a send its <c>message.delivered</c> is posted.</summary>
    public TimeSpan DeliveryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Share of sent messages (0–1) the contact answers, after <see cref="ReplyDelay"/>.</summary>
    public double ReplyRate { get; set; }

    /// <summary>Share of those replies that are "STOP".</summary>
    public double StopShare { get; set; } = 0.1;

    public TimeSpan ReplyDelay { get; set; } = TimeSpan.FromSeconds(5);

    public SimulatorFaultOptions Faults { get; set; } = new();

    public SimulatorSeedOptions Seed { get; set; } = new();
}

/// <summary>Faults drawn at random for each API request, by rate (0–1); scripted faults (<c>POST /_simulator/faults</c>) come first.</summary>
public sealed class SimulatorFaultOptions
{
    public double RateLimitRate { get; set; }

    public double ServerErrorRate { get; set; }

    public double SlowRate { get; set; }

    public double DropRate { get; set; }

    /// <summary>Requests carried out (a send is stored and counted) whose connection is then dropped without an answer.</summary>
    public double AcceptThenCrashRate { get; set; }

    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(15);

    public int RetryAfterSeconds { get; set; } = 1;
}

/// <summary>The generated account: the same seed and counts give the same account.</summary>
public sealed class SimulatorSeedOptions
{
    public int Seed { get; set; } = 1;

    public int Lines { get; set; } = 2;

    public int Contacts { get; set; } = 50;

    public int Conversations { get; set; } = 60;

    public int MessagesPerConversation { get; set; } = 4;

    public int CallsPerConversation { get; set; } = 1;
}
