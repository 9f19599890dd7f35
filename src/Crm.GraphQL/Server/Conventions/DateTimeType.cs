using GraphQL.Types;

namespace Crm.GraphQL.Server.Conventions;

/// <summary>Hot Chocolate's name for an RFC 3339 instant, so integrators see the scalar they know.</summary>
internal sealed class DateTimeType : DateTimeOffsetGraphType
{
    public DateTimeType()
    {
        Name = "DateTime";
        Description = "An instant in RFC 3339 form with an offset, e.g. 2026-11-26T09:48:25Z. Always UTC in responses.";
    }
}
