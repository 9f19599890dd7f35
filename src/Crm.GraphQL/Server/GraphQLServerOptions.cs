namespace Crm.GraphQL.Server;

/// <summary>Settings under <c>GraphQL</c>: the limits every request is held to.</summary>
public sealed class GraphQLServerOptions
{
    public const string Section = "GraphQL";

    /// <summary>Largest request body accepted; larger gets 413.</summary>
    public int MaxRequestBytes { get; set; } = 256 * 1024;

    /// <summary>Deepest document the parser reads, so a hostile document cannot exhaust the stack.</summary>
    public int MaxParserDepth { get; set; } = 64;

    /// <summary>Deepest field nesting a query may select.</summary>
    public int MaxDepth { get; set; } = 15;

    /// <summary>Complexity budget: each field counts 1, lists multiply by their page size.</summary>
    public int MaxComplexity { get; set; } = 20_000;

    /// <summary>Most aliased fields one document may use.</summary>
    public int MaxAliases { get; set; } = 30;

    /// <summary>
    /// Parsed and validated documents kept for reuse, as the total length of their texts in characters; 0 turns the
    /// cache off.
    /// </summary>
    public long DocumentCacheSize { get; set; } = 1_000_000;

    /// <summary>Execution time limit.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
