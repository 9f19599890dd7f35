using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Snapshooter.Xunit;

namespace Crm.Tests.Messages;

public sealed class MessageQueriesTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task MessageSegmentsCountsATextAsTypedAndWithItsLookalikesReplacedForAViewer()
    {
        var viewer = await Fixture.ClientAsAsync(CrmRole.Viewer);

        // Worked out by hand. As typed: ’ — … make it UCS-2, 45 units, one part (70 − 45 = 25 left). Replaced: ' - ...
        // are GSM, 47 septets (160 − 47 = 113). Long: 139 septets would be one GSM part, but the emoji makes it 141
        // UCS-2 units, 67 | 67 | 7, three parts (67 − 7 = 60), $0.03.
        var response = await viewer.PostAsync("""
            query($body: String!, $long: String!) {
              asTyped: messageSegments(body: $body) { ...counts }
              replaced: messageSegments(body: $body, replaceLookalikes: true) { ...counts }
              long: messageSegments(body: $long) { ...counts }
            }
            fragment counts on MessageSegments { encoding segments characters remainingInSegment nonGsmCharacters estimatedCost normalizedBody }
            """,
            new
            {
                body = "Hi Ann, your quote’s ready — see you Tuesday…",
                @long = "Your quote for the 3 windows is ready. Reply YES to book Tuesday 9-11, or call us at 555-0100 to pick another day. Thanks, Attack-a-Crack! 👍",
            });

        Snapshot.Match(response.Snapshot);
    }
}
