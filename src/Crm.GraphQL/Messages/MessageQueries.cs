using Crm.Data.Compliance;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Messages;

internal static class MessageQueries
{
    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<MessageSegmentsType>>("messageSegments")
            .Description("What a text would cost: its encoding, SMS parts and price, for a composer to show as the text is typed. Reads nothing and sends nothing.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<StringGraphType>>("body", "The text.")
            .Argument<BooleanGraphType>("replaceLookalikes", arg =>
            {
                arg.Description = "Count the text with curly quotes, dashes, the ellipsis and odd spaces replaced by GSM characters, as normalizedBody shows.";
                arg.DefaultValue = false;
            })
            .Resolve(ctx =>
            {
                var body = ctx.GetArgument<string>("body");
                var normalized = ctx.GetArgument<bool>("replaceLookalikes") ? SmsSegments.ToGsm(body) : body;
                var price = ctx.RequestServices!.GetRequiredService<IOptions<Crm.Data.Outbound.OutboundOptions>>().Value.PricePerSegment;
                return new MessageSegments(normalized, SmsSegments.Count(normalized, price));
            });
    }
}

internal sealed record MessageSegments(string NormalizedBody, SmsSegmentCount Count);

internal sealed class MessageSegmentsType : ObjectGraphType<MessageSegments>
{
    public MessageSegmentsType()
    {
        Name = "MessageSegments";
        Description = "A text's SMS parts (3GPP TS 23.038): 160 GSM-7 septets alone or 153 per part, 70 UCS-2 units alone or 67 per part; an escape pair or a surrogate pair is never split between parts.";
        Field<NonNullGraphType<MessageEncodingType>>("encoding").Description("GSM7, or UCS2 when any character is outside the GSM alphabet.").Resolve(ctx => ctx.Source.Count.Encoding);
        Field<NonNullGraphType<IntGraphType>>("segments").Description("SMS parts; 0 for an empty text.").Resolve(ctx => ctx.Source.Count.Segments);
        Field<NonNullGraphType<IntGraphType>>("characters")
            .Description("Length in the encoding's units: septets for GSM7 (^ { } \\ [ ~ ] | € and form feed take 2), UTF-16 units for UCS2 (an emoji beyond U+FFFF takes 2).")
            .Resolve(ctx => ctx.Source.Count.Characters);
        Field<NonNullGraphType<IntGraphType>>("remainingInSegment").Description("Units, as counted by characters, that still fit in the last part.").Resolve(ctx => ctx.Source.Count.RemainingInSegment);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("nonGsmCharacters")
            .Description("The distinct characters that made the text UCS2, in order of first appearance.")
            .Resolve(ctx => ctx.Source.Count.NonGsmCharacters);
        Field<NonNullGraphType<FloatGraphType>>("estimatedCost").Description("Parts × OpenPhone:PricePerSegment, in dollars.").Resolve(ctx => (double)ctx.Source.Count.EstimatedCost);
        Field(x => x.NormalizedBody).Description("The text that would be sent: body, or with replaceLookalikes its GSM replacement.");
    }
}

internal sealed class MessageEncodingType : EnumerationGraphType<SmsEncoding>
{
    public MessageEncodingType()
    {
        Name = "MessageEncoding";
        Description = "How a text travels.";
        Values["GSM7"]!.Description = "The GSM 7-bit alphabet.";
        Values["UCS2"]!.Description = "UCS-2, 16 bits a unit: any character outside the GSM alphabet makes the whole text UCS-2.";
    }

    // The standards' names; the default CONSTANT_CASE would split the digit off (GSM_7).
    protected override string ChangeEnumCase(string val) => val.ToUpperInvariant();
}
