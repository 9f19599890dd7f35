namespace Crm.Jobs.OpenPhone;

/// <summary>Settings under <c>OpenPhone</c> for calling OpenPhone's REST API (openphone-api.md §4).</summary>
public sealed class OpenPhoneApiOptions
{
    public const string Section = "OpenPhone";

    public const string DefaultApiBaseUrl = "https://api.openphone.com";

    /// <summary>The workspace's API key, sent raw in <c>Authorization</c>. Unset: the server uses its own simulator.</summary>
    public string? ApiKey { get; set; }

    public string ApiBaseUrl { get; set; } = DefaultApiBaseUrl;

    /// <summary>OpenPhone's limit per API key, shared by every instance: the sender paces every request to it.</summary>
    public int RequestsPerSecond { get; set; } = 10;

    /// <summary>Turns that reads may book ahead of a text, per instance: how long a staff text can wait behind an import.</summary>
    public int ReadsAhead { get; set; } = 2;
}

/// <summary>Where the client sends its requests and with which key: the configured API, or the embedded simulator.</summary>
public interface IOpenPhoneEndpoint
{
    /// <summary>Resolved for each client, so an endpoint may learn its address only once the server listens.</summary>
    Uri BaseAddress { get; }

    string? ApiKey { get; }
}

internal sealed class ConfiguredOpenPhoneEndpoint(Microsoft.Extensions.Options.IOptions<OpenPhoneApiOptions> options) : IOpenPhoneEndpoint
{
    public Uri BaseAddress { get; } = new(options.Value.ApiBaseUrl.TrimEnd('/') + "/");

    public string? ApiKey => options.Value.ApiKey;
}
