/* The built-in planner against a table of utterances: each with the tool
 * calls and arguments it must produce (or that it must ask back, or say
 * it did not understand), at a fixed "now" and zone, a few in other zones
 * and across DST. Prints the fraction understood; fails below 95% and on
 * any sanity failure (a crash, a leak, a plan that fails the catalogue's
 * checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agt_test.h"
#include "catalogue.h"
#include "planner.h"
#include "svc/util.h"

#define ID1 "11111111-1111-4111-8111-111111111111"
#define ID2 "22222222-2222-4222-8222-222222222222"
#define ID3 "33333333-3333-4333-8333-333333333333"
#define ID4 "44444444-4444-4444-8444-444444444444"
#define ID5 "55555555-5555-4555-8555-555555555555"
#define ID6 "66666666-6666-4666-8666-666666666666"
#define ID7 "77777777-7777-4777-8777-777777777777"

static const struct agt_task_ref listed[] = {
	{ID1, "Buy groceries"}, {ID2, "Call the dentist"}, {ID3, "Pay rent"},
	{ID4, "Water the plants"}, {ID5, "Write the report"}, {ID6, "Book flights"},
};
static const struct agt_task_ref last = {ID7, "Renew passport"};

/* Thursday, 5 March 2026, 14:30 in New York (EST; DST starts on the 8th). */
#define NOW "2026-03-05T14:30:00-05:00"
#define NY "America/New_York"

enum { NOLIST = 1, QUICK = 2 };

/* want: a JSON list of [tool, arguments] in single quotes (turned into
 * double quotes; a backquote stands for an apostrophe), or "?" (a question back), "!" (not understood), "="
 * (an answer with no call). */
struct utterance {
	const char *text;
	const char *want;
	const char *zone; /* NULL: NY */
	const char *now;  /* NULL: NOW */
	int flags;
};

/* Most rows name only text and want; the rest default. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define Q "?"
#define U "!"
#define A "="
#define TZ ",'time_zone':'America/New_York'"

static const struct utterance table[] = {
	/* The acceptance sentence, and the seeds' examples. */
	{"add call the dentist next tuesday at 10am, high priority, remind me an hour before",
	 "[['add_task',{'title':'call the dentist','priority':'high','due_at':'2026-03-10T10:00:00-04:00','remind_before_minutes':60}]]"},
	{"Add a task to buy groceries with high priority",
	 "[['add_task',{'title':'buy groceries','priority':'high'}]]"},
	{"Show me all pending tasks", "[['list_tasks',{'status':'pending'}]]"},
	{"Mark task 5 as complete", "[['complete_task',{'task_id':'" ID5 "'}]]"},
	{"Update task 3 to say 'Call dentist'",
	 "[['update_task',{'task_id':'" ID3 "','changes':{'title':'Call dentist'}}]]"},
	{"Delete the task about groceries", "[['delete_task',{'title':'groceries'}]]"},
	{"Add task tomorrow: Buy groceries",
	 "[['add_task',{'title':'Buy groceries','due_at':'2026-03-06T09:00:00-05:00'}]]"},

	/* Adding: dates and times. */
	{"add buy milk tomorrow at 5pm",
	 "[['add_task',{'title':'buy milk','due_at':'2026-03-06T17:00:00-05:00'}]]"},
	{"add buy milk tomorrow at 5pm, high priority, remind me 30 minutes before",
	 "[['add_task',{'title':'buy milk','due_at':'2026-03-06T17:00:00-05:00','priority':'high','remind_before_minutes':30}]]"},
	{"add pay rent on Dec 3 at 9:30",
	 "[['add_task',{'title':'pay rent','due_at':'2026-12-03T09:30:00-05:00'}]]"},
	{"add submit taxes in 3 days",
	 "[['add_task',{'title':'submit taxes','due_at':'2026-03-08T09:00:00-04:00'}]]"},
	{"add call mom tonight",
	 "[['add_task',{'title':'call mom','due_at':'2026-03-05T20:00:00-05:00'}]]"},
	{"add clean the garage this weekend",
	 "[['add_task',{'title':'clean the garage','due_at':'2026-03-07T09:00:00-05:00'}]]"},
	{"add send invoices end of month",
	 "[['add_task',{'title':'send invoices','due_at':'2026-03-31T09:00:00-04:00'}]]"},
	{"add prepare slides for the meeting on friday at 3pm",
	 "[['add_task',{'title':'prepare slides for the meeting','due_at':'2026-03-06T15:00:00-05:00'}]]"},
	{"add submit report by friday",
	 "[['add_task',{'title':'submit report','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add dentist appointment on march 20 at 2:30pm, remind me a day before",
	 "[['add_task',{'title':'dentist appointment','due_at':'2026-03-20T14:30:00-04:00','remind_before_minutes':1440}]]"},
	{"add renew passport in 2 weeks",
	 "[['add_task',{'title':'renew passport','due_at':'2026-03-19T09:00:00-04:00'}]]"},
	{"add call bob in 2 hours",
	 "[['add_task',{'title':'call bob','due_at':'2026-03-05T16:30:00-05:00'}]]"},
	{"add buy flowers on the 15th",
	 "[['add_task',{'title':'buy flowers','due_at':'2026-03-15T09:00:00-04:00'}]]"},
	{"create a task called 'Quarterly review' due next monday",
	 "[['add_task',{'title':'Quarterly review','due_at':'2026-03-09T09:00:00-04:00'}]]"},
	{"new task: read chapter 3", "[['add_task',{'title':'read chapter 3'}]]"},
	{"add call the bank tomorrow morning",
	 "[['add_task',{'title':'call the bank','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add dinner with sam friday at 7pm",
	 "[['add_task',{'title':'dinner with sam','due_at':'2026-03-06T19:00:00-05:00'}]]"},
	{"add meeting at 3",
	 "[['add_task',{'title':'meeting','due_at':'2026-03-05T15:00:00-05:00'}]]"},
	{"add call dad at noon tomorrow",
	 "[['add_task',{'title':'call dad','due_at':'2026-03-06T12:00:00-05:00'}]]"},
	{"add finish the report by end of week",
	 "[['add_task',{'title':'finish the report','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add project deadline next month",
	 "[['add_task',{'title':'project deadline','due_at':'2026-04-01T09:00:00-04:00'}]]"},
	{"add yoga in the evening",
	 "[['add_task',{'title':'yoga','due_at':'2026-03-05T19:00:00-05:00'}]]"},
	{"add call the plumber at 8:15 am on the 10th of march",
	 "[['add_task',{'title':'call the plumber','due_at':'2026-03-10T08:15:00-04:00'}]]"},
	{"add buy milk tmrw 6pm",
	 "[['add_task',{'title':'buy milk','due_at':'2026-03-06T18:00:00-05:00'}]]"},
	{"add buy a gift on 2026-03-12",
	 "[['add_task',{'title':'buy a gift','due_at':'2026-03-12T09:00:00-04:00'}]]"},
	{"add file taxes by April 15",
	 "[['add_task',{'title':'file taxes','due_at':'2026-04-15T09:00:00-04:00'}]]"},
	{"add meeting with Alex on Tuesday at 2pm and remind me 15 minutes before",
	 "[['add_task',{'title':'meeting with Alex','due_at':'2026-03-10T14:00:00-04:00','remind_before_minutes':15}]]"},
	{"add call the vet today",
	 "[['add_task',{'title':'call the vet','due_at':'2026-03-05T23:59:00-05:00'}]]"},
	{"add doctor appointment the day after tomorrow at 11",
	 "[['add_task',{'title':'doctor appointment','due_at':'2026-03-07T11:00:00-05:00'}]]"},
	{"add laundry this saturday",
	 "[['add_task',{'title':'laundry','due_at':'2026-03-07T09:00:00-05:00'}]]"},
	{"add renew domain in a month",
	 "[['add_task',{'title':'renew domain','due_at':'2026-04-05T09:00:00-04:00'}]]"},
	{"add call grandma sunday afternoon",
	 "[['add_task',{'title':'call grandma','due_at':'2026-03-08T14:00:00-04:00'}]]"},
	{"add buy milk tomorrow and remind me at 8",
	 "[['add_task',{'title':'buy milk','due_at':'2026-03-06T09:00:00-05:00','remind_at':'2026-03-06T08:00:00-05:00'}]]"},
	{"add submit the form tomorrow at 5pm with a reminder 2 hours before",
	 "[['add_task',{'title':'submit the form','due_at':'2026-03-06T17:00:00-05:00','remind_before_minutes':120}]]"},
	{"add pay the electricity bill next friday",
	 "[['add_task',{'title':'pay the electricity bill','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add car service friday after next",
	 "[['add_task',{'title':'car service','due_at':'2026-03-13T09:00:00-04:00'}]]"},
	{"add team lunch on the 3rd of April at 12:30",
	 "[['add_task',{'title':'team lunch','due_at':'2026-04-03T12:30:00-04:00'}]]"},
	{"add get a haircut in 10 days",
	 "[['add_task',{'title':'get a haircut','due_at':'2026-03-15T09:00:00-04:00'}]]"},
	{"add call back Jane in 30 minutes",
	 "[['add_task',{'title':'call back Jane','due_at':'2026-03-05T15:00:00-05:00'}]]"},
	{"add buy tickets end of year",
	 "[['add_task',{'title':'buy tickets','due_at':'2026-12-31T09:00:00-05:00'}]]"},
	{"add watch the game on Dec 24, 2026 at 8pm",
	 "[['add_task',{'title':'watch the game','due_at':'2026-12-24T20:00:00-05:00'}]]"},
	{"add feed the cat at 17:45",
	 "[['add_task',{'title':'feed the cat','due_at':'2026-03-05T17:45:00-05:00'}]]"},
	{"add morning run tomorrow at 6:30am",
	 "[['add_task',{'title':'morning run','due_at':'2026-03-06T06:30:00-05:00'}]]"},
	{"add email the landlord this afternoon",
	 "[['add_task',{'title':'email the landlord','due_at':'2026-03-05T14:00:00-05:00'}]]"},
	{"add send the slides by eod",
	 "[['add_task',{'title':'send the slides','due_at':'2026-03-05T17:00:00-05:00'}]]"},

	/* Adding: priority and tags. */
	{"add #home fix the sink", "[['add_task',{'title':'fix the sink','tags':['home']}]]"},
	{"add fix the sink tagged home", "[['add_task',{'title':'fix the sink','tags':['home']}]]"},
	{"add buy milk p1", "[['add_task',{'title':'buy milk','priority':'high'}]]"},
	{"add buy milk !!", "[['add_task',{'title':'buy milk','priority':'high'}]]"},
	{"add buy milk urgent", "[['add_task',{'title':'buy milk','priority':'high'}]]"},
	{"add groceries #errands #weekly low priority",
	 "[['add_task',{'title':'groceries','priority':'low','tags':['errands','weekly']}]]"},
	{"add review PR high priority #work",
	 "[['add_task',{'title':'review PR','priority':'high','tags':['work']}]]"},
	{"add update the budget spreadsheet with tags work and finance",
	 "[['add_task',{'title':'update the budget spreadsheet','tags':['work','finance']}]]"},
	{"add read the contract, priority: medium @Work",
	 "[['add_task',{'title':'read the contract','priority':'medium','tags':['work']}]]"},
	{"add 'lunch at noon with the team' tomorrow",
	 "[['add_task',{'title':'lunch at noon with the team','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add fix the tag line on the website", "[['add_task',{'title':'fix the tag line on the website'}]]"},
	{"add read important email", "[['add_task',{'title':'read important email'}]]"},

	/* Adding: recurrence. */
	{"add water the plants every weekday",
	 "[['add_task',{'title':'water the plants','rrule':'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'" TZ ",'due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add team sync every 2 weeks on monday",
	 "[['add_task',{'title':'team sync','rrule':'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO'" TZ ",'due_at':'2026-03-09T09:00:00-04:00'}]]"},
	{"add pay rent monthly on the 15th",
	 "[['add_task',{'title':'pay rent','rrule':'FREQ=MONTHLY;BYMONTHDAY=15'" TZ ",'due_at':'2026-03-15T09:00:00-04:00'}]]"},
	{"add take vitamins daily",
	 "[['add_task',{'title':'take vitamins','rrule':'FREQ=DAILY'" TZ ",'due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add stretch every morning at 8",
	 "[['add_task',{'title':'stretch','rrule':'FREQ=DAILY'" TZ ",'due_at':'2026-03-06T08:00:00-05:00'}]]"},
	{"add gym every monday and thursday at 7am",
	 "[['add_task',{'title':'gym','rrule':'FREQ=WEEKLY;BYDAY=MO,TH'" TZ ",'due_at':'2026-03-09T07:00:00-04:00'}]]"},
	{"add pay credit card monthly on the last day",
	 "[['add_task',{'title':'pay credit card','rrule':'FREQ=MONTHLY;BYMONTHDAY=-1'" TZ ",'due_at':'2026-03-31T09:00:00-04:00'}]]"},
	{"add book club every first monday of the month",
	 "[['add_task',{'title':'book club','rrule':'FREQ=MONTHLY;BYDAY=1MO'" TZ ",'due_at':'2026-04-06T09:00:00-04:00'}]]"},
	{"add anniversary every year on June 12",
	 "[['add_task',{'title':'anniversary','rrule':'FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=12'" TZ ",'due_at':'2026-06-12T09:00:00-04:00'}]]"},
	{"add standup every weekday at 9:30am remind me 10 minutes before",
	 "[['add_task',{'title':'standup','rrule':'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'" TZ ",'due_at':'2026-03-06T09:30:00-05:00','remind_before_minutes':10}]]"},
	{"add take out the trash every tuesday evening",
	 "[['add_task',{'title':'take out the trash','rrule':'FREQ=WEEKLY;BYDAY=TU'" TZ ",'due_at':'2026-03-10T19:00:00-04:00'}]]"},
	{"add water plants every 3 days",
	 "[['add_task',{'title':'water plants','rrule':'FREQ=DAILY;INTERVAL=3'" TZ ",'due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add backup laptop every other week",
	 "[['add_task',{'title':'backup laptop','rrule':'FREQ=WEEKLY;INTERVAL=2'" TZ ",'due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add pay bills every month on the 1st",
	 "[['add_task',{'title':'pay bills','rrule':'FREQ=MONTHLY;BYMONTHDAY=1'" TZ ",'due_at':'2026-04-01T09:00:00-04:00'}]]"},
	{"add standup every weekday at 9am 10 times",
	 "[['add_task',{'title':'standup','rrule':'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=10'" TZ ",'due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add medication every 8 hours",
	 "[['add_task',{'title':'medication','rrule':'FREQ=HOURLY;INTERVAL=8'" TZ ",'due_at':'2026-03-05T15:00:00-05:00'}]]"},
	{"add pick up kids at 3:30pm every weekday",
	 "[['add_task',{'title':'pick up kids','rrule':'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'" TZ ",'due_at':'2026-03-05T15:30:00-05:00'}]]"},
	{"add quarterly report every 3 months",
	 "[['add_task',{'title':'quarterly report','rrule':'FREQ=MONTHLY;INTERVAL=3'" TZ ",'due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add clean the fridge every weekend",
	 "[['add_task',{'title':'clean the fridge','rrule':'FREQ=WEEKLY;BYDAY=SA,SU'" TZ ",'due_at':'2026-03-07T09:00:00-05:00'}]]"},
	{"add review finances on the last friday of every month",
	 "[['add_task',{'title':'review finances','rrule':'FREQ=MONTHLY;BYDAY=-1FR'" TZ ",'due_at':'2026-03-27T09:00:00-04:00'}]]"},
	{"add team retro every friday at 4pm until Dec 31",
	 "[['add_task',{'title':'team retro','rrule':'FREQ=WEEKLY;BYDAY=FR;UNTIL=20270101T045959Z'" TZ ",'due_at':'2026-03-06T16:00:00-05:00'}]]"},
	{"add language class every tuesday starting next week",
	 "[['add_task',{'title':'language class','rrule':'FREQ=WEEKLY;BYDAY=TU'" TZ ",'due_at':'2026-03-10T09:00:00-04:00'}]]"},
	{"add floss every night",
	 "[['add_task',{'title':'floss','rrule':'FREQ=DAILY'" TZ ",'due_at':'2026-03-05T20:00:00-05:00'}]]"},

	/* Adding in other words. */
	{"remind me to call mom at 5pm",
	 "[['add_task',{'title':'call mom','due_at':'2026-03-05T17:00:00-05:00','remind_before_minutes':0}]]"},
	{"I need to renew my license next week",
	 "[['add_task',{'title':'renew my license','due_at':'2026-03-09T09:00:00-04:00'}]]"},
	{"don't forget to buy a birthday gift for Anna on Saturday",
	 "[['add_task',{'title':'buy a birthday gift for Anna','due_at':'2026-03-07T09:00:00-05:00'}]]"},
	{"please add pick up the dry cleaning tomorrow",
	 "[['add_task',{'title':'pick up the dry cleaning','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"can you add book a table for two on friday at 8pm?",
	 "[['add_task',{'title':'book a table for two','due_at':'2026-03-06T20:00:00-05:00'}]]"},
	{"add a reminder to check the oven in 20 minutes",
	 "[['add_task',{'title':'check the oven','due_at':'2026-03-05T14:50:00-05:00','remind_before_minutes':0}]]"},
	{"todo: email Sarah about the contract",
	 "[['add_task',{'title':'email Sarah about the contract'}]]"},
	{"add buy milk to my list", "[['add_task',{'title':'buy milk'}]]"},
	{"buy milk tomorrow 5pm p1",
	 "[['add_task',{'title':'buy milk','due_at':'2026-03-06T17:00:00-05:00','priority':'high'}]]",
	 NULL, NULL, QUICK},

	/* Other zones, and DST. */
	{"add call mom tomorrow at 9am",
	 "[['add_task',{'title':'call mom','due_at':'2026-03-06T09:00:00+01:00'}]]", "Europe/Berlin"},
	{"add team meeting next monday at 10",
	 "[['add_task',{'title':'team meeting','due_at':'2026-03-09T10:00:00+01:00'}]]",
	 "Europe/Berlin"},
	{"add brunch on sunday at 11am",
	 "[['add_task',{'title':'brunch','due_at':'2026-03-29T11:00:00+02:00'}]]", "Europe/Berlin",
	 "2026-03-27T12:00:00+01:00"},
	{"add yoga tomorrow at 6am",
	 "[['add_task',{'title':'yoga','due_at':'2026-03-07T06:00:00+05:30'}]]", "Asia/Kolkata"},
	{"add deploy tonight", "[['add_task',{'title':'deploy','due_at':'2026-03-05T20:00:00Z'}]]",
	 "UTC"},
	{"add pay rent on april 10 at 9am",
	 "[['add_task',{'title':'pay rent','due_at':'2026-04-10T09:00:00+10:00'}]]",
	 "Australia/Sydney"},
	{"add early flight on march 8 at 2:30am",
	 "[['add_task',{'title':'early flight','due_at':'2026-03-08T03:30:00-04:00'}]]"},
	{"add night shift on november 1 at 1:30am",
	 "[['add_task',{'title':'night shift','due_at':'2026-11-01T01:30:00-04:00'}]]", NULL,
	 "2026-10-30T12:00:00-04:00"},
	{"add water lawn every weekday at 6am",
	 "[['add_task',{'title':'water lawn','rrule':'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR','time_zone':'America/Los_Angeles','due_at':'2026-03-06T06:00:00-08:00'}]]",
	 "America/Los_Angeles"},
	{"what's due this week?",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-02T00:00:00+01:00','due_before':'2026-03-09T00:00:00+01:00','sort':'due_at'}]]",
	 "Europe/Berlin"},

	/* Listing. */
	{"show my tasks", "[['list_tasks',{'status':'pending'}]]"},
	{"what's due this week?",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-02T00:00:00-05:00','due_before':'2026-03-09T00:00:00-04:00','sort':'due_at'}]]"},
	{"what do I have today",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-05T00:00:00-05:00','due_before':'2026-03-06T00:00:00-05:00','sort':'due_at'}]]"},
	{"list completed tasks", "[['list_tasks',{'status':'completed'}]]"},
	{"show high priority tasks", "[['list_tasks',{'status':'pending','priority':'high'}]]"},
	{"show tasks tagged work", "[['list_tasks',{'status':'pending','tag':['work']}]]"},
	{"show #home tasks", "[['list_tasks',{'status':'pending','tag':['home']}]]"},
	{"what's overdue?", "[['list_tasks',{'overdue':true,'sort':'due_at'}]]"},
	{"show all tasks", "[['list_tasks',{}]]"},
	{"what's due tomorrow",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-06T00:00:00-05:00','due_before':'2026-03-07T00:00:00-05:00','sort':'due_at'}]]"},
	{"show tasks due next week",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-09T00:00:00-04:00','due_before':'2026-03-16T00:00:00-04:00','sort':'due_at'}]]"},
	{"list my tasks sorted by priority",
	 "[['list_tasks',{'status':'pending','sort':'-priority'}]]"},
	{"show tasks due before friday",
	 "[['list_tasks',{'status':'pending','due_before':'2026-03-06T00:00:00-05:00','sort':'due_at'}]]"},
	{"show my top 5 tasks", "[['list_tasks',{'status':'pending','limit':5}]]"},
	{"what's on my plate today?",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-05T00:00:00-05:00','due_before':'2026-03-06T00:00:00-05:00','sort':'due_at'}]]"},
	{"how many tasks do I have", "[['list_tasks',{'status':'pending'}]]"},
	{"show upcoming tasks",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-05T14:30:00-05:00','due_before':'2026-03-12T15:30:00-04:00','sort':'due_at'}]]"},
	{"show tasks about groceries", "[['list_tasks',{'q':'groceries','status':'pending'}]]"},
	{"list low priority tasks tagged home",
	 "[['list_tasks',{'status':'pending','priority':'low','tag':['home']}]]"},
	{"what tasks are due this month?",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-01T00:00:00-05:00','due_before':'2026-04-01T00:00:00-04:00','sort':'due_at'}]]"},
	{"my tasks", "[['list_tasks',{'status':'pending'}]]"},
	{"show 2", "[['search_tasks',{'q':'Call the dentist'}]]"},
	{"show completed tasks newest first",
	 "[['list_tasks',{'status':'completed','sort':'-created_at'}]]"},

	/* Searching. */
	{"search for dentist", "[['search_tasks',{'q':'dentist'}]]"},
	{"find tasks about the report", "[['search_tasks',{'q':'the report'}]]"},
	{"find groceries", "[['search_tasks',{'q':'groceries'}]]"},
	{"search for milk in completed tasks",
	 "[['search_tasks',{'q':'milk','status':'completed'}]]"},
	{"look for anything about insurance", "[['search_tasks',{'q':'insurance'}]]"},
	{"find high priority tasks", "[['list_tasks',{'status':'pending','priority':'high'}]]"},

	/* Completing. */
	{"complete 2", "[['complete_task',{'task_id':'" ID2 "'}]]"},
	{"complete it", "[['complete_task',{'task_id':'" ID7 "'}]]"},
	{"mark the groceries task as done", "[['complete_task',{'title':'groceries'}]]"},
	{"done with 3", "[['complete_task',{'task_id':'" ID3 "'}]]"},
	{"finish buying milk", "[['complete_task',{'title':'buying milk'}]]"},
	{"complete 1 and 3",
	 "[['complete_task',{'task_id':'" ID1 "'}],['complete_task',{'task_id':'" ID3 "'}]]"},
	{"check off the second one", "[['complete_task',{'task_id':'" ID2 "'}]]"},
	{"I finished the report", "[['complete_task',{'title':'report'}]]"},
	{"tick off 4", "[['complete_task',{'task_id':'" ID4 "'}]]"},
	{"mark it as done", "[['complete_task',{'task_id':'" ID7 "'}]]"},
	{"the groceries task is done", "[['complete_task',{'title':'groceries'}]]"},
	{"complete the last one", "[['complete_task',{'task_id':'" ID6 "'}]]"},
	{"complete #3", "[['complete_task',{'task_id':'" ID3 "'}]]"},
	{"mark 'Pay rent' done", "[['complete_task',{'title':'Pay rent'}]]"},
	{"complete task " ID4, "[['complete_task',{'task_id':'" ID4 "'}]]"},
	{"complete 2-4",
	 "[['complete_task',{'task_id':'" ID2 "'}],['complete_task',{'task_id':'" ID3
	 "'}],['complete_task',{'task_id':'" ID4 "'}]]"},
	{"complete 9", Q},
	{"complete all", Q},
	{"complete", Q},
	{"complete 2", Q, NULL, NULL, NOLIST},

	/* Reopening. */
	{"reopen 2", "[['reopen_task',{'task_id':'" ID2 "'}]]"},
	{"mark 3 as not done", "[['reopen_task',{'task_id':'" ID3 "'}]]"},
	{"uncomplete the dentist task", "[['reopen_task',{'title':'dentist'}]]"},
	{"reopen it", "[['reopen_task',{'task_id':'" ID7 "'}]]"},

	/* Deleting. */
	{"delete 3", "[['delete_task',{'task_id':'" ID3 "'}]]"},
	{"remove the second one", "[['delete_task',{'task_id':'" ID2 "'}]]"},
	{"delete it", "[['delete_task',{'task_id':'" ID7 "'}]]"},
	{"delete the standup task and all its future occurrences",
	 "[['delete_task',{'title':'standup','end_series':true}]]"},
	{"cancel 1, 2 and 3",
	 "[['delete_task',{'task_id':'" ID1 "'}],['delete_task',{'task_id':'" ID2
	 "'}],['delete_task',{'task_id':'" ID3 "'}]]"},
	{"get rid of the old gym task", "[['delete_task',{'title':'old gym'}]]"},
	{"delete the groceries task", "[['delete_task',{'title':'groceries'}]]"},

	/* Renaming. */
	{"rename 2 to Call the orthodontist",
	 "[['update_task',{'task_id':'" ID2 "','changes':{'title':'Call the orthodontist'}}]]"},
	{"rename the groceries task to buy food",
	 "[['update_task',{'title':'groceries','changes':{'title':'buy food'}}]]"},
	{"change the title of 4 to Water the garden",
	 "[['update_task',{'task_id':'" ID4 "','changes':{'title':'Water the garden'}}]]"},

	/* Rescheduling. */
	{"move 2 to friday at 3pm",
	 "[['update_task',{'task_id':'" ID2 "','changes':{'due_at':'2026-03-06T15:00:00-05:00'}}]]"},
	{"reschedule the dentist to next monday at 9",
	 "[['update_task',{'title':'dentist','changes':{'due_at':'2026-03-09T09:00:00-04:00'}}]]"},
	{"postpone 4 until tomorrow",
	 "[['update_task',{'task_id':'" ID4 "','changes':{'due_at':'2026-03-06T09:00:00-05:00'}}]]"},
	{"push it to next week",
	 "[['update_task',{'task_id':'" ID7 "','changes':{'due_at':'2026-03-09T09:00:00-04:00'}}]]"},
	{"change the due date of 5 to Dec 3",
	 "[['update_task',{'task_id':'" ID5 "','changes':{'due_at':'2026-12-03T09:00:00-05:00'}}]]"},
	{"move the 5pm meeting to friday",
	 "[['update_task',{'title':'5pm meeting','changes':{'due_at':'2026-03-06T09:00:00-05:00'}}]]"},
	{"remove the due date from 2",
	 "[['update_task',{'task_id':'" ID2 "','changes':{'due_at':null}}]]"},
	{"postpone 2", Q},
	{"postpone 2 by a day", U},

	/* Tags. */
	{"tag 2 with home", "[['update_task',{'task_id':'" ID2 "','add_tags':['home']}]]"},
	{"tag the groceries task #errands",
	 "[['update_task',{'title':'groceries','add_tags':['errands']}]]"},
	{"add tag work to 3", "[['update_task',{'task_id':'" ID3 "','add_tags':['work']}]]"},
	{"remove the tag work from 3",
	 "[['update_task',{'task_id':'" ID3 "','remove_tags':['work']}]]"},
	{"untag 1 errands", "[['update_task',{'task_id':'" ID1 "','remove_tags':['errands']}]]"},

	/* Priorities. */
	{"make 2 high priority",
	 "[['update_task',{'task_id':'" ID2 "','changes':{'priority':'high'}}]]"},
	{"prioritize the dentist task",
	 "[['update_task',{'title':'dentist','changes':{'priority':'high'}}]]"},
	{"set the priority of 4 to low",
	 "[['update_task',{'task_id':'" ID4 "','changes':{'priority':'low'}}]]"},
	{"mark 5 as urgent", "[['update_task',{'task_id':'" ID5 "','changes':{'priority':'high'}}]]"},
	{"lower the priority of 1",
	 "[['update_task',{'task_id':'" ID1 "','changes':{'priority':'low'}}]]"},

	/* Reminders, repeats and notes on a task. */
	{"remind me about 2 tomorrow at 9",
	 "[['update_task',{'task_id':'" ID2 "','changes':{'remind_at':'2026-03-06T09:00:00-05:00'}}]]"},
	{"set a reminder for the dentist task 30 minutes before",
	 "[['update_task',{'title':'dentist','changes':{'remind_before_minutes':30}}]]"},
	{"make 3 repeat every monday",
	 "[['update_task',{'task_id':'" ID3 "','changes':{'rrule':'FREQ=WEEKLY;BYDAY=MO'" TZ ",'due_at':'2026-03-09T09:00:00-04:00'}}]]"},
	{"stop repeating 3", "[['update_task',{'task_id':'" ID3 "','changes':{'rrule':null}}]]"},
	{"add a note to 2: bring the insurance card",
	 "[['update_task',{'task_id':'" ID2 "','changes':{'description':'bring the insurance card'}}]]"},
	{"change 2 to tomorrow at 5pm, high priority",
	 "[['update_task',{'task_id':'" ID2 "','changes':{'priority':'high','due_at':'2026-03-06T17:00:00-05:00'}}]]"},

	/* More phrasings, written without looking at the grammar. */
	{"Add 'Call mom' for tomorrow evening",
	 "[['add_task',{'title':'Call mom','due_at':'2026-03-06T19:00:00-05:00'}]]"},
	{"add pick up prescription at 4:30",
	 "[['add_task',{'title':'pick up prescription','due_at':'2026-03-05T16:30:00-05:00'}]]"},
	{"add renew car insurance on the 1st of next month",
	 "[['add_task',{'title':'renew car insurance','due_at':'2026-04-01T09:00:00-04:00'}]]"},
	{"add call the electrician Monday 10am",
	 "[['add_task',{'title':'call the electrician','due_at':'2026-03-09T10:00:00-04:00'}]]"},
	{"Add task: email the team about friday's offsite",
	 "[['add_task',{'title':'email the team about friday`s offsite'}]]"},
	{"add book dentist appointment asap",
	 "[['add_task',{'title':'book dentist appointment','priority':'high'}]]"},
	{"add pay phone bill every month on the 20th at 10am",
	 "[['add_task',{'title':'pay phone bill','rrule':'FREQ=MONTHLY;BYMONTHDAY=20'" TZ ",'due_at':'2026-03-20T10:00:00-04:00'}]]"},
	{"add run 5k every saturday morning",
	 "[['add_task',{'title':'run 5k','rrule':'FREQ=WEEKLY;BYDAY=SA'" TZ ",'due_at':'2026-03-07T09:00:00-05:00'}]]"},
	{"add clean bathroom every sunday",
	 "[['add_task',{'title':'clean bathroom','rrule':'FREQ=WEEKLY;BYDAY=SU'" TZ ",'due_at':'2026-03-08T09:00:00-04:00'}]]"},
	{"add team standup every weekday at 9:15 starting monday",
	 "[['add_task',{'title':'team standup','rrule':'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'" TZ ",'due_at':'2026-03-09T09:15:00-04:00'}]]"},
	{"add send rent reminder on the 28th of every month",
	 "[['add_task',{'title':'send rent reminder','rrule':'FREQ=MONTHLY;BYMONTHDAY=28'" TZ ",'due_at':'2026-03-28T09:00:00-04:00'}]]"},
	{"add water plants on mondays and thursdays",
	 "[['add_task',{'title':'water plants','rrule':'FREQ=WEEKLY;BYDAY=MO,TH'" TZ ",'due_at':'2026-03-09T09:00:00-04:00'}]]"},
	{"add mom's birthday every year on May 4",
	 "[['add_task',{'title':'mom`s birthday','rrule':'FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=4'" TZ ",'due_at':'2026-05-04T09:00:00-04:00'}]]"},
	{"add submit timesheet every friday at 5pm",
	 "[['add_task',{'title':'submit timesheet','rrule':'FREQ=WEEKLY;BYDAY=FR'" TZ ",'due_at':'2026-03-06T17:00:00-05:00'}]]"},
	{"add take the bins out tonight at 9",
	 "[['add_task',{'title':'take the bins out','due_at':'2026-03-05T21:00:00-05:00'}]]"},
	{"add call Jim next Wednesday afternoon",
	 "[['add_task',{'title':'call Jim','due_at':'2026-03-11T14:00:00-04:00'}]]"},
	{"add finish slides by 6pm today",
	 "[['add_task',{'title':'finish slides','due_at':'2026-03-05T18:00:00-05:00'}]]"},
	{"add buy bread and milk", "[['add_task',{'title':'buy bread and milk'}]]"},
	{"add get coffee beans on the way home",
	 "[['add_task',{'title':'get coffee beans on the way home'}]]"},
	{"add meeting with John at 2:30pm on Thursday",
	 "[['add_task',{'title':'meeting with John','due_at':'2026-03-12T14:30:00-04:00'}]]"},
	{"add dentist on 12/03", "[['add_task',{'title':'dentist on 12/03'}]]"},
	{"create task Prepare quarterly taxes due April 10 high priority",
	 "[['add_task',{'title':'Prepare quarterly taxes','due_at':'2026-04-10T09:00:00-04:00','priority':'high'}]]"},
	{"add lunch w/ Sarah tomorrow 12:30",
	 "[['add_task',{'title':'lunch w/ Sarah','due_at':'2026-03-06T12:30:00-05:00'}]]"},
	{"add pay invoice #42 by Friday",
	 "[['add_task',{'title':'pay invoice #42','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add Buy milk", "[['add_task',{'title':'Buy milk'}]]"},
	{"Add \u201cPrepare agenda\u201d tomorrow at 10",
	 "[['add_task',{'title':'Prepare agenda','due_at':'2026-03-06T10:00:00-05:00'}]]"},
	{"add call mom on sunday at 11 am",
	 "[['add_task',{'title':'call mom','due_at':'2026-03-08T11:00:00-04:00'}]]"},
	{"add renew gym membership in 6 months",
	 "[['add_task',{'title':'renew gym membership','due_at':'2026-09-05T09:00:00-04:00'}]]"},
	{"add car inspection on Jan 15",
	 "[['add_task',{'title':'car inspection','due_at':'2027-01-15T09:00:00-05:00'}]]"},
	{"add fix bike this evening",
	 "[['add_task',{'title':'fix bike','due_at':'2026-03-05T19:00:00-05:00'}]]"},
	{"add read a book every night at 10pm",
	 "[['add_task',{'title':'read a book','rrule':'FREQ=DAILY'" TZ ",'due_at':'2026-03-05T22:00:00-05:00'}]]"},
	{"add stand-up at 9:30 every weekday",
	 "[['add_task',{'title':'stand-up','rrule':'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'" TZ ",'due_at':'2026-03-06T09:30:00-05:00'}]]"},
	{"add check email every hour",
	 "[['add_task',{'title':'check email','rrule':'FREQ=HOURLY'" TZ ",'due_at':'2026-03-05T15:00:00-05:00'}]]"},
	{"add vacuum every two weeks",
	 "[['add_task',{'title':'vacuum','rrule':'FREQ=WEEKLY;INTERVAL=2'" TZ ",'due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add pay rent on the first of every month",
	 "[['add_task',{'title':'pay rent','rrule':'FREQ=MONTHLY;BYMONTHDAY=1'" TZ ",'due_at':'2026-04-01T09:00:00-04:00'}]]"},
	{"add call mom tomorrow at 5 remind me 10 min before",
	 "[['add_task',{'title':'call mom','due_at':'2026-03-06T17:00:00-05:00','remind_before_minutes':10}]]"},
	{"add taxes due April 15th",
	 "[['add_task',{'title':'taxes','due_at':'2026-04-15T09:00:00-04:00'}]]"},
	{"add submit report in an hour",
	 "[['add_task',{'title':'submit report','due_at':'2026-03-05T15:30:00-05:00'}]]"},
	{"add water plants every 2 days starting tomorrow",
	 "[['add_task',{'title':'water plants','rrule':'FREQ=DAILY;INTERVAL=2'" TZ ",'due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add go to the gym at 6 pm",
	 "[['add_task',{'title':'go to the gym','due_at':'2026-03-05T18:00:00-05:00'}]]"},
	{"add call the bank at 9 tomorrow morning",
	 "[['add_task',{'title':'call the bank','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"add call Kenji tomorrow at 8am",
	 "[['add_task',{'title':'call Kenji','due_at':'2026-03-07T08:00:00+09:00'}]]", "Asia/Tokyo"},
	{"add brunch tomorrow at 11",
	 "[['add_task',{'title':'brunch','due_at':'2026-03-29T11:00:00+01:00'}]]", "Europe/London",
	 "2026-03-28T12:00:00Z"},
	{"show me what's due today",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-05T00:00:00-05:00','due_before':'2026-03-06T00:00:00-05:00','sort':'due_at'}]]"},
	{"list everything", "[['list_tasks',{}]]"},
	{"what have I completed?", "[['list_tasks',{'status':'completed'}]]"},
	{"show my overdue tasks", "[['list_tasks',{'overdue':true,'sort':'due_at'}]]"},
	{"anything due this weekend?",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-07T00:00:00-05:00','due_before':'2026-03-09T00:00:00-04:00','sort':'due_at'}]]"},
	{"show tasks for tomorrow",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-06T00:00:00-05:00','due_before':'2026-03-07T00:00:00-05:00','sort':'due_at'}]]"},
	{"show me tasks tagged home and work",
	 "[['list_tasks',{'status':'pending','tag':['home','work']}]]"},
	{"what's next?", "[['list_tasks',{'status':'pending','sort':'due_at'}]]"},
	{"search groceries", "[['search_tasks',{'q':'groceries'}]]"},
	{"find the dentist task", "[['search_tasks',{'q':'dentist'}]]"},
	{"mark 2 and 4 as done",
	 "[['complete_task',{'task_id':'" ID2 "'}],['complete_task',{'task_id':'" ID4 "'}]]"},
	{"finished 3", "[['complete_task',{'task_id':'" ID3 "'}]]"},
	{"I did the laundry", "[['complete_task',{'title':'laundry'}]]"},
	{"complete the task called Pay rent", "[['complete_task',{'title':'Pay rent'}]]"},
	{"delete task 6", "[['delete_task',{'task_id':'" ID6 "'}]]"},
	{"remove buy milk", "[['delete_task',{'title':'buy milk'}]]"},
	{"trash the first one", "[['delete_task',{'task_id':'" ID1 "'}]]"},
	{"delete all my completed tasks", Q},
	{"reopen the report task", "[['reopen_task',{'title':'report'}]]"},
	{"rename it to Renew passport and visa",
	 "[['update_task',{'task_id':'" ID7 "','changes':{'title':'Renew passport and visa'}}]]"},
	{"change the name of the groceries task to weekly shop",
	 "[['update_task',{'title':'groceries','changes':{'title':'weekly shop'}}]]"},
	{"move the dentist appointment to tomorrow at 4pm",
	 "[['update_task',{'title':'dentist appointment','changes':{'due_at':'2026-03-06T16:00:00-05:00'}}]]"},
	{"reschedule 1 for monday",
	 "[['update_task',{'task_id':'" ID1 "','changes':{'due_at':'2026-03-09T09:00:00-04:00'}}]]"},
	{"push the report to next friday at noon",
	 "[['update_task',{'title':'report','changes':{'due_at':'2026-03-06T12:00:00-05:00'}}]]"},
	{"make the groceries task low priority",
	 "[['update_task',{'title':'groceries','changes':{'priority':'low'}}]]"},
	{"set 3 to high priority",
	 "[['update_task',{'task_id':'" ID3 "','changes':{'priority':'high'}}]]"},
	{"tag 4 as garden", "[['update_task',{'task_id':'" ID4 "','add_tags':['garden']}]]"},
	{"add the tag urgent to 1", "[['update_task',{'task_id':'" ID1 "','add_tags':['urgent']}]]"},
	{"remind me about the dentist task tomorrow at 8am",
	 "[['update_task',{'title':'dentist','changes':{'remind_at':'2026-03-06T08:00:00-05:00'}}]]"},
	{"clear the reminder on 3", "[['update_task',{'task_id':'" ID3 "','changes':{'remind_at':null}}]]"},

	/* Odd formatting, and references. */
	{"Add buy eggs, milk and bread tomorrow",
	 "[['add_task',{'title':'buy eggs, milk and bread','due_at':'2026-03-06T09:00:00-05:00'}]]"},
	{"ADD CALL MOM TOMORROW AT 5PM",
	 "[['add_task',{'title':'CALL MOM','due_at':'2026-03-06T17:00:00-05:00'}]]"},
	{"add   call   mom  ", "[['add_task',{'title':'call mom'}]]"},
	{"add call mom at 25:00", "[['add_task',{'title':'call mom at 25:00'}]]"},
	{"add meet Sam on Feb 30", "[['add_task',{'title':'meet Sam on Feb 30'}]]"},
	{"Hello, add buy milk.", "[['add_task',{'title':'buy milk'}]]"},
	{"add buy milk and remind me tomorrow at 8am",
	 "[['add_task',{'title':'buy milk','remind_at':'2026-03-06T08:00:00-05:00'}]]"},
	{"add buy milk in 2 days and remind me 1 day before",
	 "[['add_task',{'title':'buy milk','due_at':'2026-03-07T09:00:00-05:00','remind_before_minutes':1440}]]"},
	{"remind me to water the plants every sunday at 10am",
	 "[['add_task',{'title':'water the plants','rrule':'FREQ=WEEKLY;BYDAY=SU'" TZ ",'due_at':'2026-03-08T10:00:00-04:00','remind_before_minutes':0}]]"},
	{"complete number 3", "[['complete_task',{'task_id':'" ID3 "'}]]"},
	{"complete no. 2", "[['complete_task',{'task_id':'" ID2 "'}]]"},
	{"delete #1", "[['delete_task',{'task_id':'" ID1 "'}]]"},
	{"done 5", "[['complete_task',{'task_id':'" ID5 "'}]]"},
	{"show task 3", "[['search_tasks',{'q':'Pay rent'}]]"},
	{"What's due next week?",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-09T00:00:00-04:00','due_before':'2026-03-16T00:00:00-04:00','sort':'due_at'}]]"},
	{"list tasks due after friday",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-07T00:00:00-05:00','sort':'due_at'}]]"},
	{"show my high-priority tasks due this week",
	 "[['list_tasks',{'status':'pending','priority':'high','due_after':'2026-03-02T00:00:00-05:00','due_before':'2026-03-09T00:00:00-04:00','sort':'due_at'}]]"},
	{"show tasks that are overdue", "[['list_tasks',{'overdue':true,'sort':'due_at'}]]"},
	{"find anything mentioning taxes", "[['search_tasks',{'q':'taxes'}]]"},
	{"what's due on friday",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-06T00:00:00-05:00','due_before':'2026-03-07T00:00:00-05:00','sort':'due_at'}]]"},
	{"tasks due today",
	 "[['list_tasks',{'status':'pending','due_after':'2026-03-05T00:00:00-05:00','due_before':'2026-03-06T00:00:00-05:00','sort':'due_at'}]]"},
	{"mark the dentist one as done", "[['complete_task',{'title':'dentist'}]]"},
	{"complete the first and third",
	 "[['complete_task',{'task_id':'" ID1 "'}],['complete_task',{'task_id':'" ID3 "'}]]"},
	{"delete the last task", "[['delete_task',{'task_id':'" ID6 "'}]]"},
	{"can you delete 2 please", "[['delete_task',{'task_id':'" ID2 "'}]]"},
	{"rename 'Pay rent' to 'Pay March rent'",
	 "[['update_task',{'title':'Pay rent','changes':{'title':'Pay March rent'}}]]"},
	{"move 3 to next week",
	 "[['update_task',{'task_id':'" ID3 "','changes':{'due_at':'2026-03-09T09:00:00-04:00'}}]]"},
	{"snooze 2 until tomorrow morning",
	 "[['update_task',{'task_id':'" ID2 "','changes':{'due_at':'2026-03-06T09:00:00-05:00'}}]]"},

	/* Answers, questions, and what it does not understand. */
	{"help", A},
	{"hi", A},
	{"thanks!", A},
	{"what can you do?", A},
	{"buy milk", U},
	{"blah blah", U},
	{"add", Q},
	{"remind me to call mom", Q},
	{"add meeting tomorrow at 5pm on friday", Q},
	{"add buy milk remind me an hour before", Q},
};

static void to_json_quotes(const char *in, char *out, size_t n)
{
	size_t i = 0;
	for (; in[i] && i + 1 < n; i++)
		out[i] = in[i] == '\'' ? '"' : in[i] == '`' ? '\'' : in[i];
	out[i] = '\0';
}

/* The plan as [[tool, arguments], ...]. Caller frees. */
static cJSON *plan_calls(const struct agt_plan *plan)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < plan->n_calls; i++) {
		cJSON *call = cJSON_CreateArray();
		cJSON_AddItemToArray(call, cJSON_CreateString(plan->calls[i].tool));
		cJSON_AddItemToArray(call, cJSON_Duplicate(plan->calls[i].arguments, true));
		cJSON_AddItemToArray(arr, call);
	}
	return arr;
}

static bool matches(const struct utterance *u, const struct agt_plan *plan, char **got)
{
	cJSON *calls = plan_calls(plan);
	*got = cJSON_PrintUnformatted(calls);
	bool ok;
	if (strcmp(u->want, Q) == 0)
		ok = plan->kind == AGT_PLAN_QUESTION;
	else if (strcmp(u->want, U) == 0)
		ok = plan->kind == AGT_PLAN_UNKNOWN;
	else if (strcmp(u->want, A) == 0)
		ok = plan->kind == AGT_PLAN_ANSWER;
	else {
		char buf[2048];
		to_json_quotes(u->want, buf, sizeof buf);
		cJSON *want = agt_test_json(buf);
		ok = plan->kind == AGT_PLAN_CALLS && cJSON_Compare(want, calls, true);
		cJSON_Delete(want);
	}
	cJSON_Delete(calls);
	return ok;
}

static const char *kind_name(enum agt_plan_kind k)
{
	return k == AGT_PLAN_CALLS ? "calls" : k == AGT_PLAN_ANSWER ? "answer"
			: k == AGT_PLAN_QUESTION ? "question" : "unknown";
}

static void utterances(void **state)
{
	(void)state;
	size_t total = sizeof table / sizeof *table, good = 0;
	for (size_t i = 0; i < total; i++) {
		const struct utterance *u = &table[i];
		long long now = 0;
		assert_int_equal(svc_time_parse_rfc3339(u->now ? u->now : NOW, &now), 0);
		struct agt_plan_context ctx = {
			.now = now,
			.time_zone = u->zone ? u->zone : NY,
			.listed = (u->flags & NOLIST) ? NULL : listed,
			.n_listed = (u->flags & NOLIST) ? 0 : sizeof listed / sizeof *listed,
			.last = (u->flags & NOLIST) ? NULL : &last,
			.quick_add = (u->flags & QUICK) != 0,
		};
		struct agt_plan plan;
		struct svc_err err = {0};
		assert_int_equal(agt_plan_make(u->text, &ctx, &plan, &err), SVC_OK);
		assert_non_null(plan.reply);
		assert_true(svc_utf8_valid(plan.reply, strlen(plan.reply)));
		/* Every call passes the catalogue's checks, understood or not. */
		for (size_t c = 0; c < plan.n_calls; c++) {
			const struct agt_tool *tool =
				agt_catalogue_find(agt_catalogue_builtin(), plan.calls[c].tool);
			assert_non_null(tool);
			assert_int_equal(agt_tool_check_args(tool, plan.calls[c].arguments, &err),
					 SVC_OK);
		}
		char *got = NULL;
		if (matches(u, &plan, &got))
			good++;
		else
			printf("MISS  %s\n      want %s\n      got  %s %s\n      reply %s\n", u->text,
			       u->want, kind_name(plan.kind), got, plan.reply);
		free(got);
		agt_plan_cleanup(&plan);
	}
	double rate = 100.0 * (double)good / (double)total;
	printf("planner: %zu of %zu utterances understood as expected (%.1f%%)\n", good, total,
	       rate);
	if (rate < 95.0)
		fail_msg("the planner understood %.1f%% of the table, below 95%%", rate);
}

/* Bad input is an error, not a plan. */
static void refuses_bad_input(void **state)
{
	(void)state;
	struct agt_plan_context ctx = {.now = 1772739000, .time_zone = NY};
	struct agt_plan plan;
	struct svc_err err = {0};
	assert_int_equal(agt_plan_make("\xff\xfe", &ctx, &plan, &err), SVC_EINVAL);
	assert_string_equal(err.field, "message");
	agt_plan_cleanup(&plan);
	char *big = malloc(AGT_MESSAGE_MAX + 2);
	memset(big, 'a', AGT_MESSAGE_MAX + 1);
	big[AGT_MESSAGE_MAX + 1] = '\0';
	assert_int_equal(agt_plan_make(big, &ctx, &plan, &err), SVC_EINVAL);
	agt_plan_cleanup(&plan);
	free(big);
	ctx.time_zone = "Mars/Olympus_Mons";
	assert_int_equal(agt_plan_make("show my tasks", &ctx, &plan, &err), SVC_EINVAL);
	assert_string_equal(err.field, "time_zone");
	agt_plan_cleanup(&plan);
}

/* The reply says what will happen, in the user's words and zone. */
static void replies(void **state)
{
	(void)state;
	long long now = 0;
	svc_time_parse_rfc3339(NOW, &now);
	struct agt_plan_context ctx = {.now = now, .time_zone = NY, .listed = listed,
				       .n_listed = 6, .last = &last};
	struct agt_plan plan;
	struct svc_err err = {0};
	assert_int_equal(agt_plan_make("add call the dentist next tuesday at 10am, high priority, "
				       "remind me an hour before",
				       &ctx, &plan, &err),
			 SVC_OK);
	assert_string_equal(plan.reply, "I'll add \u201c" "call the dentist\u201d, due Tuesday, "
					"March 10 at 10:00, high priority, with a reminder 1 hour "
					"before.");
	agt_plan_cleanup(&plan);
	assert_int_equal(agt_plan_make("complete 2", &ctx, &plan, &err), SVC_OK);
	assert_string_equal(plan.reply, "I'll mark \u201c" "Call the dentist\u201d as done.");
	agt_plan_cleanup(&plan);
	assert_int_equal(agt_plan_make("frobnicate the widget", &ctx, &plan, &err), SVC_OK);
	assert_non_null(strstr(plan.reply, "I did not understand \u201c" "frobnicate the widget\u201d"));
	agt_plan_cleanup(&plan);
	assert_int_equal(agt_plan_make("complete 8", &ctx, &plan, &err), SVC_OK);
	assert_int_equal(plan.kind, AGT_PLAN_QUESTION);
	assert_non_null(strstr(plan.reply, "has 6 tasks"));
	agt_plan_cleanup(&plan);
	assert_int_equal(agt_plan_make("what's due this week?", &ctx, &plan, &err), SVC_OK);
	assert_string_equal(plan.reply, "I'll list your pending tasks due this week, soonest due "
					"first.");
	agt_plan_cleanup(&plan);
	assert_int_equal(agt_plan_make("delete the groceries task", &ctx, &plan, &err), SVC_OK);
	assert_string_equal(plan.reply, "I'll delete the task \u201cgroceries\u201d.");
	agt_plan_cleanup(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utterances),
		cmocka_unit_test(refuses_bad_input),
		cmocka_unit_test(replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
