"""Word lists for names, companies and products. Small on purpose: variety comes from combination."""

from __future__ import annotations

FIRST_NAMES = (
    "Ava Liam Noah Emma Olivia Mia Lucas Amara Sofia Mateo Chen Priya Arjun Fatima Omar Yuki Hana Lena Jonas Elena "
    "Marco Ines Tariq Zara Diego Camila Kofi Ama Nikolai Anya Samuel Grace Daniel Leah Ethan Chloe Ravi Meera Jae "
    "Min-jun Sara David Ruth Tomas Julia Felix Nora Oscar Maya Hugo Alice Ben Ivy Kai Luca Rosa Ahmed Layla Sven Freya"
).split()
LAST_NAMES = (
    "Smith Garcia Chen Patel Kim Nguyen Müller Rossi Silva Okafor Tanaka Kowalski Johansson Dubois Martin Lopez "
    "Haddad Singh Cohen Novak Ivanova Mensah Costa Fischer Andersen Moreau Ali Sato Park Reyes Brown Wilson Taylor "
    "Clarke Walsh Byrne Horvat Yilmaz Larsen Bauer"
).split()
COMPANY_ROOTS = (
    "North Blue Iron Silver Bright Clear Summit Harbor Maple Cedar Granite Orbit Vertex Pioneer Atlas Nova Quantum "
    "Lumen Beacon Delta Sierra Falcon Evergreen Crescent Horizon Pinnacle Redwood Cobalt Aurora Meridian Keystone "
    "Riverstone Oakridge Bluewave Sunpeak Stonegate Brightline Clearwater Fairview Highland"
).split()
COMPANY_SUFFIXES = (
    "Analytics Logistics Health Systems Foods Labs Capital Energy Retail Media Robotics Bank Insurance Partners "
    "Software Motors Pharma Telecom Freight Learning"
).split()
INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Logistics",
    "Education",
    "Media",
    "Energy",
    "Telecommunications",
    "Insurance",
    "Professional Services",
)
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "CA", "AU", "IN", "JP", "BR", "ES", "SE")
DEPARTMENTS = (
    "Operations",
    "Sales",
    "Marketing",
    "Finance",
    "Engineering",
    "Customer Support",
    "HR",
    "Product",
    "Legal",
    "IT",
)
TITLES = {
    "executive_sponsor": ("VP Operations", "Chief Operating Officer", "VP Revenue", "CTO", "CFO"),
    "economic_buyer": ("Director of Procurement", "Head of Finance", "VP Finance"),
    "champion": ("Operations Manager", "Head of Analytics", "Sales Ops Lead", "Program Manager", "Director of Ops"),
    "admin": ("Systems Administrator", "IT Manager", "Platform Owner"),
    "user": ("Analyst", "Specialist", "Coordinator", "Team Lead", "Associate"),
}
FEATURES = (
    "dashboards",
    "reports",
    "alerts",
    "workflows",
    "api",
    "integrations",
    "sso",
    "audit_log",
    "forecasting",
    "segments",
    "exports",
    "mobile",
    "comments",
    "templates",
    "permissions",
    "scheduling",
    "data_import",
    "webhooks",
    "sandbox",
    "ai_assist",
    "custom_fields",
    "approvals",
    "benchmarks",
    "playbooks",
)
PRODUCTS = ("Core Platform", "Analytics Add-on", "Automation Suite", "Data Connectors", "Premium Support")
PLANS = {"Core": ("Starter", "Team"), "Growth": ("Business", "Team"), "Strategic": ("Enterprise",)}
NEW_COMPANIES = (
    "Acme Dynamics",
    "Globex Solutions",
    "Initech Cloud",
    "Umbrella Data",
    "Hooli Systems",
    "Vandelay Industries",
    "Stark Analytics",
    "Wayne Logistics",
    "Tyrell Software",
    "Soylent Health",
)
