using Crm.Data.Contacts;

namespace Crm.Data.Campaigns;

/// <summary>A campaign text as one contact gets it: the variant's template rendered for them, with the opt-out footer on their first marketing text.</summary>
public sealed class CampaignMessages(OptOutFooter footer)
{
    public async Task<string> RenderAsync(string template, Contact contact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var text = MessageTemplate.Parse(template).Render(contact).Text;
        var first = (await footer.NeverMarketedAsync([contact.Id], cancellationToken)).Count == 1;
        return footer.Append(text, first);
    }
}
