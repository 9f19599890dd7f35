namespace Crm.Bench.Generation;

/// <summary>
/// Message bodies of a concrete-repair business. The word "foundation" appears only in the
/// <c>Foundation…</c> lists, so the generator controls how often a search for it matches (~1%).
/// </summary>
internal static class Corpus
{
    public static readonly string[] Inbound =
    [
        "Hi, I have a crack in my basement wall that leaks when it rains. Can someone take a look?",
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
        "Ok",
        "Thank you!",
        "Can you come Saturday instead?",
        "How long does the epoxy take to cure?",
        "The crack by the chimney got wider over the winter.",
        "My neighbor used you last year and recommended you.",
        "Do you take credit cards?",
        "Is there a charge for the estimate?",
        "We're selling the house, do you have the warranty paperwork?",
        "Sounds good, see you then",
        "Who is this?",
        "The garage floor has a few cracks too, can you quote that while you're here?",
        "Got the invoice, paid online just now.",
    ];

    public static readonly string[] Outbound =
    [
        "Hi {0}, this is Attack-a-Crack. We can come out Thursday between 9 and 11 for a free estimate. Does that work?",
        "Your quote is attached. Let us know if you have any questions.",
        "Our tech is on the way, should be there in about 20 minutes.",
        "All done! The injection needs 24 hours to cure. Lifetime transferable warranty included.",
        "Just following up on the estimate from last week. Any questions we can answer?",
        "Spring special: 10% off crack repair booked before the end of the month.",
        "Got it, thanks {0}. We'll see you then.",
        "Hi {0}, just confirming your appointment tomorrow at 10am.",
        "No charge for the estimate. We'll measure the crack and text you a price the same day.",
        "Yes, we take all major cards. You can also pay from the link on the invoice.",
        "Thanks for the photo {0}. That looks like a shrinkage crack, an easy fix.",
        "We have an opening next Tuesday afternoon if that's easier.",
    ];

    public static readonly string[] FoundationInbound =
    [
        "How much does foundation crack repair usually cost?",
        "There's a horizontal crack in our foundation wall, is that serious?",
        "Water is seeping through the foundation after every storm.",
        "Does the warranty cover the foundation if the crack comes back?",
    ];

    public static readonly string[] FoundationOutbound =
    [
        "Thanks for reaching out! Most foundation crack injections run $450-$850 depending on length.",
        "Hi {0}, a horizontal foundation crack is worth a look soon. We can come out this week.",
        "Your foundation repair is scheduled. The tech will text when he's 20 minutes away.",
    ];

    public static readonly string[] CallSummaries =
    [
        "Customer reported a vertical crack in the poured wall with seepage after heavy rain. Wants an estimate this week.",
        "Caller asked about pricing for driveway crack sealing and whether we service their town.",
        "Follow-up on completed repair; customer satisfied, asked about referral discount.",
        "Homeowner selling the house; needs a transferable warranty letter for the buyer's inspector.",
        "Rescheduled the estimate to next week; customer will send photos by text.",
    ];

    public static readonly string[] NextSteps = ["Schedule an on-site estimate", "Send the quote by text", "Call back next week"];

    public static readonly string[] Tags = ["customer", "driveway", "commercial", "follow-up", "referral"];

    public static readonly string[] Cities =
    [
        "Boston", "Quincy", "Braintree", "Worcester", "Lowell", "Newton", "Framingham", "Cambridge", "Somerville", "Brockton",
        "Weymouth", "Waltham", "Medford", "Plymouth", "Lynn",
    ];

    public static readonly string[] AreaCodes = ["617", "508", "781", "978", "857", "339", "413", "774", "351"];
}
